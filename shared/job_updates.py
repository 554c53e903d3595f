"""Job record updates that many activities share: optimistic read-modify-write, stages, events."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shared.adapters.base import ConcurrencyError, EventPublisher, JobNotFound, JobStore
from shared.domain import Job, JobEvent, JobStatus, Progress

log = logging.getLogger(__name__)

EVENT_COMPLETED = "uk.police.toex.job.completed"
EVENT_FAILED = "uk.police.toex.job.failed"
EVENT_PROGRESS = "uk.police.toex.job.progress"
EVENT_CANCELLED = "uk.police.toex.job.cancelled"


def load_job(jobs: JobStore, force_id: str, job_id: str) -> Job:
    job = jobs.get(force_id, job_id)
    if job is None:
        raise JobNotFound(f"{force_id}/{job_id}")
    return job


def mutate_job(jobs: JobStore, force_id: str, job_id: str, change: Callable[[Job], Job], attempts: int = 20) -> Job:
    """Apply ``change`` to the latest job record, retrying when another writer got there first."""
    for attempt in range(attempts):
        job = load_job(jobs, force_id, job_id)
        try:
            return jobs.update(change(job))
        except ConcurrencyError:
            time.sleep(min(0.01 * 2**attempt, 0.5))
    raise ConcurrencyError(f"{job_id}: gave up after {attempts} conflicting updates")


def set_stage(jobs: JobStore, force_id: str, job_id: str, stage: str, *, events: EventPublisher | None = None,
              **progress: int) -> Job:
    """Move the job to ``stage``; with ``events``, also tell force IT (a best-effort progress event)."""

    def change(job: Job) -> Job:
        total = progress.get("chunks_total", job.progress.chunks_total)
        done = progress.get("chunks_done", job.progress.chunks_done)
        status = job.status if job.status.terminal else JobStatus.RUNNING
        return job.with_changes(status=status, progress=Progress(stage, total, done))

    job = mutate_job(jobs, force_id, job_id, change)
    if events is not None:
        publish(events, EVENT_PROGRESS, job)
    return job


def chunk_done(jobs: JobStore, force_id: str, job_id: str) -> Job:
    def change(job: Job) -> Job:
        p = job.progress
        done = min(p.chunks_done + 1, p.chunks_total) if p.chunks_total else p.chunks_done + 1
        return job.with_changes(progress=Progress(p.stage, p.chunks_total, done))

    return mutate_job(jobs, force_id, job_id, change)


def publish(events: EventPublisher, kind: str, job: Job, *, strict: bool = False, **data: object) -> None:
    """A CloudEvent about ``job``: identifiers, status and links only, never evidence content.

    Progress events are best effort (``strict=False``); completion and failure events raise so the
    notify activity is retried.
    """
    payload: dict[str, object] = {
        "jobId": job.job_id,
        "forceId": job.force_id,
        "status": job.status.value,
        "source": {"ref": job.source.ref, "name": job.source.name, "sha256": job.source.sha256},
        "progress": {"stage": job.progress.stage, "percent": job.progress.percent},
        **data,
    }
    event_id = f"{job.job_id}:{kind.rsplit('.', 1)[-1]}:{job.progress.stage}:{job.attempt}"
    try:
        events.publish(
            JobEvent(type=kind, subject=f"/forces/{job.force_id}/jobs/{job.job_id}", data=payload, id=event_id)
        )
    except Exception:
        if strict:
            raise
        log.exception("could not publish %s for %s", kind, job.job_id)
