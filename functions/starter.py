"""Deciding whether a blob becomes a job, and starting, retrying and cancelling orchestrations.

Plain async functions over a :class:`DurableClient` (the Durable client binding in Azure, an adapter over
the local runner in tests) and the process's :class:`~shared.services.Services`, so the triggers and the
HTTP API stay thin and tests call these directly.

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

import logging
import os
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from functions.orchestrator import NAME as ORCHESTRATOR
from shared.adapters.base import JobExists
from shared.adapters.blob_urls import UnsafeBlobUrl, external_blob_url, parse_blob_url, storage_account_of
from shared.domain import Job, JobError, JobStatus, Notification, Progress, SourceRef, job_id_for
from shared.domain.job import utc_now
from shared.job_updates import EVENT_CANCELLED, EVENT_FAILED, mutate_job, publish
from shared.logcontext import install_log_correlation, job_context  # noqa: F401  (re-exported)
from shared.outputs.formats import FORMATS
from shared.outputs.languages import LANGUAGE_NAMES
from shared.services import INCOMING, Services
from shared.settings import Settings

log = logging.getLogger(__name__)

# officers' uploads: incoming/<force>/<any path>/<file> (the name: shared/containers.json)
UNASSIGNED_FORCE = "unassigned"  # rejected uploads whose force cannot be told
FORCE_SOURCES_SETTING = "TOEX_FORCE_SOURCES"  # "<storage account>=<force>,..." for forces' own accounts
OPTION_METADATA = ("language", "translate_to", "formats")  # blob metadata read as job options


class DurableClient(Protocol):
    """The part of ``azure.durable_functions.DurableOrchestrationClient`` the app uses."""

    async def start_new(self, orchestration_function_name: str, instance_id: str | None = None,
                        client_input: Any = None) -> Any: ...

    async def get_status(self, instance_id: str) -> Any: ...

    async def terminate(self, instance_id: str, reason: str) -> Any: ...


class InvalidState(Exception):
    """The job is not in a state that allows the operation (HTTP 409)."""


# -- blobs and where they come from ------------------------------------------------------------------
@dataclass(frozen=True)
class BlobNotice:
    """What a trigger knows about a created blob (never its content)."""

    url: str
    size: int | None
    etag: str | None
    content_md5: str | None = None  # hex
    sha256: str | None = None
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    version_id: str | None = None

    @property
    def is_folder_marker(self) -> bool:
        return urlsplit(self.url).path.endswith("/") or self.metadata.get("hdi_isfolder", "").lower() == "true"

    @property
    def content_tag(self) -> str:
        if self.sha256:
            return f"sha256:{self.sha256.lower()}"
        if self.content_md5:
            return f"md5:{self.content_md5.lower()}"
        return f"etag:{(self.etag or '').strip(chr(34))}"


@dataclass(frozen=True)
class ResolvedSource:
    """``ref`` is ``container/name`` in the app's own account, or the blob URL in a force's account."""

    ref: str
    name: str
    force_id: str | None
    own_account: bool


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, path percent-decoded, no query: one identity per blob."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{unquote(parts.path)}"


def force_sources(value: str | None = None) -> dict[str, str]:
    """``TOEX_FORCE_SOURCES``: which force owns each external storage account (``account=force,...``)."""
    raw = value or os.environ.get(FORCE_SOURCES_SETTING, "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {account.strip().lower(): force.strip() for account, force in pairs if account.strip() and force.strip()}


def resolve_source(url: str, settings: Settings, sources: dict[str, str]) -> ResolvedSource:
    """Map a blob URL to a reference the blob store reads, and to the force that owns it.

    Raises :class:`UnsafeBlobUrl` (a ValueError) for path tricks and credentials in the URL before
    anything touches storage. The force is read from the checked, decoded path (``incoming/<force>/``)
    or from an exact ``https://<account>.blob.<suffix>`` host listed in ``TOEX_FORCE_SOURCES``.
    """
    blob = parse_blob_url(url)
    own = parse_blob_url(settings.blob_account_url, allow_path_prefix_only=True) if settings.blob_account_url else None
    prefix = own.segments if own else ()
    if (own is not None and (blob.scheme, blob.host, blob.port) == (own.scheme, own.host, own.port)
            and blob.segments[: len(prefix)] == prefix):
        rest = blob.segments[len(prefix):]
        if len(rest) < 2:
            raise UnsafeBlobUrl("the URL names no blob")
        in_intake = rest[0] == INCOMING and len(rest) >= 3
        return ResolvedSource("/".join(rest), rest[-1], rest[1] if in_intake else None, True)
    account = storage_account_of(blob, settings.storage_suffix)
    force = sources.get(account) if account else None
    if force is None or len(blob.segments) < 2:
        return ResolvedSource(url, blob.segments[-1], None, False)
    return ResolvedSource(external_blob_url(blob), blob.segments[-1], force, False)


# -- options -------------------------------------------------------------------------------------------
def clean_options(raw: dict[str, Any]) -> dict[str, Any]:
    """The job options a caller may set; raises ValueError with a reason a caller can act on."""
    allowed = {"language", "translate_to", "formats", "word_timestamps", "initial_prompt", "hotwords"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"unknown options: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key in ("language", "translate_to"):
        if raw.get(key) is not None:
            if raw[key] not in LANGUAGE_NAMES:
                raise ValueError(f"{key} must be a language code such as 'en' or 'pl'")
            out[key] = raw[key]
    if raw.get("formats") is not None:
        formats = raw["formats"].split(",") if isinstance(raw["formats"], str) else raw["formats"]
        if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
            raise ValueError(f"formats must be a non-empty subset of {', '.join(FORMATS)}")
        out["formats"] = list(dict.fromkeys(formats))
    if "word_timestamps" in raw:
        if not isinstance(raw["word_timestamps"], bool):
            raise ValueError("word_timestamps must be true or false")
        out["word_timestamps"] = raw["word_timestamps"]
    for key in ("initial_prompt", "hotwords"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str) or len(raw[key]) > 500:
                raise ValueError(f"{key} must be text of at most 500 characters")
            out[key] = raw[key]
    return out


def rejection(notice: BlobNotice, source: ResolvedSource, settings: Settings) -> JobError | None:
    """Why an upload cannot be processed, or None."""
    if source.force_id is None:
        where = f"{INCOMING}/<force>/" if source.own_account else f"an account listed in {FORCE_SOURCES_SETTING}"
        return JobError("intake.unknown_force", f"the file's force cannot be told: upload it under {where}")
    if settings.forces and source.force_id not in settings.forces:
        return JobError("intake.unknown_force", f"force {source.force_id!r} is not served by this deployment")
    if notice.size is not None and notice.size > settings.max_upload_bytes:
        return JobError("intake.too_large",
                        f"the file is {notice.size} bytes; the limit is {settings.max_upload_bytes} bytes")
    if notice.size == 0:
        return JobError("intake.empty", "the file is empty (0 bytes)")
    suffix = PurePosixPath(source.name).suffix.lower()
    if suffix not in settings.allowed_extensions:
        return JobError("intake.unsupported_type",
                        f"files of type {suffix or '(none)'!r} are not accepted; upload audio or video")
    return None


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
                           bad_options: str | None = None) -> StartOutcome:
    """Record a job for ``notice`` and start its orchestration, at most once per blob and content.

    A rejected upload still gets a job record, failed with the reason, so the officer sees why.
    ``identity_extra`` joins the content tag (the API passes its options, so the same file submitted
    with other options is another job); ``bad_options`` rejects the upload with that reason.
    """
    if sources is None:
        sources = force_sources(services.settings.force_sources)
    if notice.is_folder_marker:
        log.info("ignored a folder marker")
        return StartOutcome("ignored")
    try:
        source = resolve_source(notice.url, services.settings, sources)
        unsafe = None
    except UnsafeBlobUrl as e:  # recorded as a rejected job; nothing is read
        name = urlsplit(notice.url).path.rsplit("/", 1)[-1][:200] or "(no name)"
        source, unsafe = ResolvedSource(canonical_url(notice.url), name, None, False), str(e)
    tag = notice.content_tag + (f"\n{identity_extra}" if identity_extra else "")
    job_id = job_id_for(canonical_url(notice.url), tag)
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
async def retry_job(client: DurableClient, services: Services, job: Job) -> Job:
    """Run a failed or cancelled job again from the start as attempt n+1 (instance ``<job_id>:a<n+1>``)."""
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
    return retried


async def cancel_job(client: DurableClient, services: Services, job: Job, reason: str = "cancelled by caller") -> Job:
    """Terminate the current attempt's orchestration and mark the job cancelled."""
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
        log.info("job %s cancel requested: now %s", job.job_id, cancelled.status.value)
    return cancelled
