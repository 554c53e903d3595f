"""Writing the access audit trail: who viewed, downloaded, renamed, retried or cancelled a job.

Entries go through the job store (``add_access``: SQLite locally, the Cosmos ``access`` container in
Azure), never into logs or orchestration history. A view, download or rename is recorded *before*
the content leaves (fail closed: no entry, no content); a retry or cancel is recorded once it is done.
"""

from __future__ import annotations

from shared.domain import Job
from shared.domain.access import AccessEntry
from shared.services import Services


def record_access(services: Services, job: Job, user: str, action: str, detail: str = "") -> AccessEntry:
    """Append one entry for ``job`` (user, action, UTC time, a short code-made ``detail``)."""
    entry = AccessEntry(force_id=job.force_id, job_id=job.job_id, user=user, action=action, detail=detail)
    services.jobs.add_access(entry)
    return entry
