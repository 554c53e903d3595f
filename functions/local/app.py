"""The embedded local mode: the same orchestrator and activities over SQLite and the file system.

The local host is a Durable client like Azure's: it submits, retries and cancels through the same
intake and lifecycle functions the Azure triggers and API call (:mod:`functions.lifecycle`), against
:class:`~functions.local.client.RunnerClient` over the local runner. A local file is a notice like a
blob's: its folder is mounted read-only (nothing is copied) and it belongs to the local force.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from functions.intake import BlobNotice, ResolvedSource
from functions.lifecycle import cancel_job, decide_and_start, retry_job
from functions.local.client import RunnerClient
from functions.local.runner import LocalOrchestrationRunner
from functions.local.taskhub import TaskHub
from functions.orchestrator import NAME as ORCHESTRATOR
from functions.registry import ACTIVITIES, ORCHESTRATORS
from shared.adapters.local_blob import FsBlobStore
from shared.adapters.sqlite_jobs import SqliteJobStore
from shared.domain import Job, JobStatus, SourceRef, job_id_for
from shared.hashing import sha256_file
from shared.outputs.formats import file_name
from shared.services import Services, build_local, set_services
from shared.settings import Settings

LOCAL_FORCE = "local"


class LocalApp:
    """Submits files as jobs and drives their orchestrations in this process."""

    def __init__(self, settings: Settings, *, workers: int = 2, retry_interval_scale: float = 1.0) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._mounts_file = settings.data_dir / "mounts.json"
        mounts = (
            {k: Path(v) for k, v in json.loads(self._mounts_file.read_text()).items()}
            if self._mounts_file.exists()
            else {}
        )
        self.services: Services = build_local(settings, mounts=mounts)
        set_services(self.services)
        self.hub = TaskHub(settings.data_dir / "taskhub.db")
        self.runner = LocalOrchestrationRunner(
            self.hub, ORCHESTRATORS, ACTIVITIES, max_workers=workers, retry_interval_scale=retry_interval_scale
        )
        self.client = RunnerClient(self.runner)
        self.force_id = LOCAL_FORCE

    @property
    def jobs(self) -> SqliteJobStore:
        assert isinstance(self.services.jobs, SqliteJobStore)
        return self.services.jobs

    @property
    def blobs(self) -> FsBlobStore:
        assert isinstance(self.services.blobs, FsBlobStore)
        return self.services.blobs

    def _source_ref(self, path: Path) -> SourceRef:
        """Mount the file's folder read-only and name the original inside it; nothing is copied."""
        folder = path.resolve().parent
        container = "src-" + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
        if self.blobs.mounts.get(container) != folder:
            self.blobs.mount(container, folder)
            self._mounts_file.write_text(json.dumps({k: str(v) for k, v in self.blobs.mounts.items()}, indent=1))
        return SourceRef(
            ref=f"{container}/{path.name}", name=path.name, size_bytes=path.stat().st_size, url=path.resolve().as_uri()
        )

    def _notice(self, path: Path) -> tuple[BlobNotice, ResolvedSource]:
        """What intake knows of a local file: its size and address, and where the blob store reads it."""
        ref = self._source_ref(path)
        notice = BlobNotice(url=ref.url or path.resolve().as_uri(), size=ref.size_bytes, etag=None)
        return notice, ResolvedSource(ref.ref, ref.name, self.force_id, True)

    def submit(
        self,
        path: Path,
        options: dict[str, Any],
        *,
        job_id: str | None = None,
        force_id: str | None = None,
        submitted_by: str | None = None,
    ) -> tuple[Job, bool]:
        """Create the job and start its orchestration (``decide_and_start``); ``(job, False)`` when that job
        exists already. The intake rules apply as in Azure: a rejected file is a failed job with the reason."""
        if not path.is_file():
            raise FileNotFoundError(path)
        notice, source = self._notice(path)
        if force_id is not None:
            source = replace(source, force_id=force_id)
        outcome = asyncio.run(decide_and_start(
            self.client, self.services, notice, options=options, submitted_by=submitted_by, source=source,
            job_id=job_id or f"job-{uuid.uuid4().hex}"))
        assert outcome.job is not None
        return outcome.job, outcome.action in ("started", "rejected")

    def submit_once(self, path: Path, options: dict[str, Any], **kw: Any) -> tuple[Job, bool]:
        """Idempotent submit (drop folders): the job id comes from the file's identity and content."""
        job_id = job_id_for(path.resolve().as_uri(), sha256_file(path))
        return self.submit(path, options, job_id=job_id, **kw)

    def run(self, job: Job) -> Job:
        """Drive the job's current attempt to its end (a job rejected at intake has none: it is returned)."""
        if self.hub.load(job.instance_id) is not None:
            self.runner.run(job.instance_id)
        final = self.jobs.get(job.force_id, job.job_id)
        assert final is not None
        return final

    def retry(self, job: Job, *, actor: str | None = None) -> Job:
        """``retry_job``, as Azure's: a new attempt ``<job>:a<n>`` from the start, progress reset, the earlier
        attempts' history kept; then run it. Raises :class:`InvalidState` for a job that cannot be retried.
        ``actor``: who asked, for the job's access audit trail."""
        return self.run(asyncio.run(retry_job(self.client, self.services, job, actor=actor)))

    def cancel(self, job: Job, reason: str = "cancelled by caller", *, actor: str | None = None) -> Job:
        """``cancel_job``: terminate the current attempt and mark the job cancelled (audited as ``actor``)."""
        return asyncio.run(cancel_job(self.client, self.services, job, reason, actor=actor))

    def unfinished(self) -> list[Job]:
        """Jobs an interrupted run left behind, including any recorded but never started (started now)."""
        for queued in self.jobs.list_all(10_000):
            if queued.status is JobStatus.QUEUED and self.hub.load(queued.instance_id) is None:
                self.runner.start_new(ORCHESTRATOR, queued.instance_id, queued.orchestration_input())
        found = []
        for instance_id in self.hub.unfinished():
            inst = self.hub.load(instance_id)
            given = json.loads(inst.input or "{}") if inst else {}
            job = self.jobs.get(given.get("force_id", LOCAL_FORCE), given.get("job_id", instance_id))
            if job is not None and job.instance_id == instance_id:
                found.append(job)
        return found

    def find(self, job_id: str) -> Job | None:
        return next((j for j in self.jobs.list_all(10_000) if j.job_id.startswith(job_id)), None)

    def export_outputs(self, job: Job, out_dir: Path) -> dict[str, Path]:
        """Copy a finished job's outputs to ``out_dir`` (``transcript.json``, ``<stem>.txt`` ...), and the
        names overlay in force as ``overlay.json`` when the job has one (record details given at submission)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = Path(job.source.name).stem or "transcript"
        written = {}
        for fmt, ref in job.outputs.items():
            target = out_dir / ("transcript.json" if fmt == "json" else file_name(stem, fmt))
            shutil.copyfile(self.blobs.local_path(ref), target)
            written[fmt] = target
        overlay = (job.summary.get("names_overlay") or {}).get("ref")
        if overlay:  # not a format, so not in ``written``
            shutil.copyfile(self.blobs.local_path(overlay), out_dir / "overlay.json")
        else:  # an earlier run's overlay in a reused folder belongs to other transcript bytes
            (out_dir / "overlay.json").unlink(missing_ok=True)
        return written
