"""The job lifecycle: starting, retrying and cancelling orchestrations (the intake rules: functions.intake).

Plain async functions over a :class:`DurableClient` (the Durable client binding in Azure,
``functions.local.client.RunnerClient`` in the local host) and the process's
:class:`~shared.services.Services`, so the triggers, the HTTP API and the local host (CLI, web page) all
submit, retry and cancel through this code, and tests call it directly.

Idempotency: Event Grid delivers at least once and officers re-upload. The job id, which is also the
first orchestration's instance id, is ``job_id_for(blob url, content tag)`` (SHA-256 metadata, else
Content-MD5, else ETag). A start first asks the Durable client whether that instance exists, then creates
the job record, which is atomic in every job store (``JobExists``): only the delivery that created the
record starts the orchestration, so duplicate deliveries and identical re-uploads start nothing new.

Instance ids: attempt 1 runs as ``<job_id>``; a retry (attempt n > 1) runs as ``<job_id>:a<n>`` with the
input ``{job_id, force_id, attempt}`` (every activity gets the attempt, and does nothing for a stale one),
so every attempt's history stays queryable and nothing is replaced.

Lost starts: a record without an orchestration (a ``start_new`` that failed) is started by the next delivery
(or the failure raises, so Event Grid redelivers), and :mod:`functions.sweep` restarts or fails any job
left ``queued`` without one.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from functions.access import record_access
from functions.intake import (
    UNASSIGNED_FORCE,
    BlobNotice,
    ResolvedSource,
    canonical_url,
    force_sources,
    is_glossary,
    notice_from_properties,
    options_from_metadata,
    rejection,
    resolve_source,
)
from functions.orchestrator import NAME as ORCHESTRATOR
from functions.upload_sas import blob_ref_of, submitter_for
from shared.adapters.base import JobExists
from shared.adapters.blob_urls import UnsafeBlobUrl
from shared.domain import Job, JobError, JobStatus, Notification, Progress, SourceRef, job_id_for
from shared.domain.job import utc_now
from shared.job_updates import EVENT_CANCELLED, EVENT_FAILED, mutate_job, publish
from shared.logcontext import job_context
from shared.services import Services, get_services

log = logging.getLogger(__name__)


class DurableClient(Protocol):
    """The part of ``azure.durable_functions.DurableOrchestrationClient`` the app uses."""

    async def start_new(self, orchestration_function_name: str, instance_id: str | None = None,
                        client_input: Any = None) -> Any: ...

    async def get_status(self, instance_id: str) -> Any: ...

    async def terminate(self, instance_id: str, reason: str) -> Any: ...


class InvalidState(Exception):
    """The job is not in a state that allows the operation (HTTP 409)."""


# -- starting --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartOutcome:
    """``action``: started | restarted | duplicate | rejected | ignored."""

    action: str
    job: Job | None = None


def runtime_status(status: Any) -> str | None:
    """``Running``/``Completed``/... for an existing instance, None when there is none."""
    if status is None:
        return None
    value = status.get("runtimeStatus") if isinstance(status, dict) else getattr(status, "runtime_status", None)
    value = getattr(value, "value", value)
    return str(value) if value else None


def instance_id_for(job: Job) -> str:
    return job.instance_id


def _orchestration_input(job: Job) -> dict[str, Any]:
    return job.orchestration_input()


async def decide_and_start(client: DurableClient, services: Services, notice: BlobNotice, *,
                           options: dict[str, Any] | None = None, submitted_by: str | None = None,
                           sources: dict[str, str] | None = None, identity_extra: str = "",
                           bad_options: str | None = None, source: ResolvedSource | None = None,
                           job_id: str | None = None) -> StartOutcome:
    """Record a job for ``notice`` and start its orchestration, at most once per blob and content.

    A rejected upload still gets a job record, failed with the reason, so the officer sees why.
    ``identity_extra`` joins the content tag (the API passes its options, so the same file submitted
    with other options is another job); ``bad_options`` rejects the upload with that reason.
    ``source`` and ``job_id`` are for a host that has resolved the file itself (the local host: a
    mounted folder and its own force; a fresh id per run, or one per file and content for a drop
    folder); without them both come from the notice's URL and content, as for every Azure delivery.
    """
    if sources is None:
        sources = force_sources(services.settings.force_sources)
    if notice.is_folder_marker:
        log.info("ignored a folder marker")
        return StartOutcome("ignored")
    unsafe = None
    if source is None:
        try:
            source = resolve_source(notice.url, services.settings, sources)
        except UnsafeBlobUrl as e:  # recorded as a rejected job; nothing is read
            name = urlsplit(notice.url).path.rsplit("/", 1)[-1][:200] or "(no name)"
            source, unsafe = ResolvedSource(canonical_url(notice.url), name, None, False), str(e)
    if is_glossary(source):
        log.info("a glossary upload: read by document jobs, not a job")
        return StartOutcome("ignored")
    tag = notice.content_tag + (f"\n{identity_extra}" if identity_extra else "")
    job_id = job_id or job_id_for(canonical_url(notice.url), tag)
    served = services.settings.forces
    force = source.force_id if source.force_id and (not served or source.force_id in served) else UNASSIGNED_FORCE
    with job_context(job_id):
        if runtime_status(await client.get_status(job_id)) is not None:
            log.info("job %s: orchestration exists already, nothing started", job_id)
            return StartOutcome("duplicate", services.jobs.get(force, job_id))
        error = JobError("intake.bad_path", unsafe) if unsafe else rejection(notice, source, services.settings)
        if error is None and bad_options:
            error = JobError("intake.bad_options", bad_options)
        job = Job(job_id=job_id, force_id=force, options=options or {}, submitted_by=submitted_by,
                  source=SourceRef(ref=source.ref, name=source.name, size_bytes=notice.size, etag=notice.etag,
                                   sha256=notice.sha256.lower() if notice.sha256 else None,
                                   url=notice.url.split("?", 1)[0], version_id=notice.version_id),
                  status=JobStatus.FAILED if error else JobStatus.QUEUED, error=error)
        try:
            job = services.jobs.create(job)
        except JobExists:
            existing = services.jobs.get(force, job_id)
            if existing is None or existing.status is not JobStatus.QUEUED or (
                    runtime_status(await client.get_status(existing.instance_id)) is not None):
                log.info("job %s exists already, nothing started", job_id)
                return StartOutcome("duplicate", existing)
            # the record exists and no orchestration does (a start failed, or is under way right now):
            # start it; if another delivery won the race, start_new raises and Event Grid redelivers
            await client.start_new(ORCHESTRATOR, existing.instance_id, _orchestration_input(existing))
            log.warning("job %s was queued without an orchestration; started it", job_id)
            return StartOutcome("restarted", existing)
        if error is not None:
            _tell_rejected(services, job)
            log.warning("job %s rejected at intake: %s", job_id, error.code)
            return StartOutcome("rejected", job)
        await client.start_new(ORCHESTRATOR, job_id, _orchestration_input(job))
        log.info("job %s queued for force %s", job_id, force)
        return StartOutcome("started", job)


def _tell_rejected(services: Services, job: Job) -> None:
    assert job.error is not None
    with suppress(Exception):  # the job record already says why; the note and event are extras
        services.jobs.add_notification(Notification(
            force_id=job.force_id, job_id=job.job_id, kind="failed", recipient=job.submitted_by,
            message=f"{job.source.name} was not accepted: {job.error.message}", created_at=utc_now()))
    publish(services.events, EVENT_FAILED, job, error={"code": job.error.code, "message": job.error.message})


# -- retry and cancel ----------------------------------------------------------------------------------
async def retry_job(client: DurableClient, services: Services, job: Job, *, actor: str | None = None) -> Job:
    """Run a failed or cancelled job again from the start as attempt n+1 (instance ``<job_id>:a<n+1>``).
    ``actor``: who asked, written to the job's access audit trail once the new attempt has started."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise InvalidState(f"only failed or cancelled jobs can be retried; this one is {job.status.value}")
    if job.error is not None and job.error.code.startswith("intake."):
        raise InvalidState("the upload was rejected at intake; upload a corrected file instead")
    retried = services.jobs.update(replace(job, status=JobStatus.QUEUED, error=None, attempt=job.attempt + 1,
                                           progress=Progress(), outputs={}, updated_at=utc_now()))
    with job_context(job.job_id):
        try:
            await client.start_new(ORCHESTRATOR, instance_id_for(retried), _orchestration_input(retried))
        except Exception:
            mutate_job(services.jobs, job.force_id, job.job_id, lambda j: j.with_changes(
                status=JobStatus.FAILED, error=JobError("retry.not_started", "the retry could not be started")))
            raise
        log.info("job %s retried as attempt %d", job.job_id, retried.attempt)
    if actor:
        record_access(services, retried, actor, "retry", f"attempt={retried.attempt}")
    return retried


async def cancel_job(client: DurableClient, services: Services, job: Job, reason: str = "cancelled by caller", *,
                     actor: str | None = None) -> Job:
    """Terminate the current attempt's orchestration and mark the job cancelled. ``actor``: who asked,
    written to the job's access audit trail when the job is cancelled."""
    if job.status.terminal:
        raise InvalidState(f"the job has finished ({job.status.value}) and cannot be cancelled")
    with job_context(job.job_id):
        try:
            await client.terminate(instance_id_for(job), reason)
        except Exception as e:  # no such instance (never started) or already finished: the record decides
            log.info("job %s: terminate answered %s", job.job_id, type(e).__name__)

        def cancel(j: Job) -> Job:
            return j if j.status.terminal else j.with_changes(status=JobStatus.CANCELLED)

        cancelled = mutate_job(services.jobs, job.force_id, job.job_id, cancel)
        if cancelled.status is JobStatus.CANCELLED:
            with suppress(Exception):
                services.jobs.add_notification(Notification(
                    force_id=job.force_id, job_id=job.job_id, kind="cancelled", recipient=job.submitted_by,
                    message=f"Processing of {job.source.name} was cancelled.", created_at=utc_now()))
            publish(services.events, EVENT_CANCELLED, cancelled, reason=reason)
            if actor:
                record_access(services, cancelled, actor, "cancel", f"attempt={cancelled.attempt}")
        log.info("job %s cancel requested: now %s", job.job_id, cancelled.status.value)
    return cancelled


async def start_from_blob(blob: Any, client: DurableClient) -> StartOutcome:
    """The blob trigger's work, over a ``BlobClient`` (one properties request, no content)."""
    props = await asyncio.to_thread(blob.get_blob_properties)
    notice = notice_from_properties(blob.url, props)
    services = get_services()  # a browser upload's submitter is its slot's owner, never its metadata
    options, bad = options_from_metadata(notice.metadata, services.settings.default_speakers)
    ref = blob_ref_of(notice.url, services.settings.blob_account_url)
    submitted_by = await asyncio.to_thread(submitter_for, services, ref, notice.metadata)
    return await decide_and_start(client, services, notice, options=options, bad_options=bad,
                                  submitted_by=submitted_by)
