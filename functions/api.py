"""HTTP API ``/api/v1/...`` for officers' tools and force IT.

Every handler is a plain ``async (request, client, services) -> HttpResponse`` function; the blueprint
below only binds them to routes and the Durable client. Each call is scoped to the caller's force (see
:mod:`functions.auth`): a job of another force is answered 404, exactly as a job that does not exist.

Need to know: a caller reaches the jobs they submitted; only the force-wide role reaches every job of
their force (the listing with ``scope=force``; any other force's job stays 404). A job of one's own
force that one did not submit is, without that role, answered 404 too: saying it exists would tell
what the role withholds. Every view of results, download, rename, retry and cancel is written to the
job's access audit trail (:mod:`functions.access`) with the user and the UTC time.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions import openapi, upload_sas
from functions.access import record_access
from functions.auth import Forbidden, Principal, Unauthenticated, principal_from_headers
from functions.intake import (
    BlobNotice,
    clean_options,
    force_sources,
    record_options,
    resolve_source,
    with_default_speakers,
)
from functions.lifecycle import (
    DurableClient,
    InvalidState,
    cancel_job,
    decide_and_start,
    instance_id_for,
    retry_job,
    runtime_status,
)
from functions.renaming import NotRenamable, current_overlay, machine_transcript, rename, speakers_view
from functions.schema import InvalidBody, check_request
from shared.adapters.base import BlobNotFound, ConcurrencyError
from shared.clock import iso_utc
from shared.domain import Job, JobStatus
from shared.logcontext import job_context
from shared.services import Services, get_services

log = logging.getLogger(__name__)

MAX_LIST = 200
MAX_AUDIT = 1000
Handler = Callable[[func.HttpRequest, DurableClient, Services], Awaitable[func.HttpResponse]]


class NotFound(Exception):
    pass


class TooLarge(Exception):
    pass


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=status,
                             mimetype="application/json", headers=headers)


def _problem(status: int, title: str, detail: str | None = None, **extra: str) -> func.HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, **({"detail": detail} if detail else {}),
            **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/problem+json",
                             headers=headers)


def _principal(req: func.HttpRequest, services: Services) -> Principal:
    return principal_from_headers(dict(req.headers), services.settings.forces)


def may_see(principal: Principal, job: Job) -> bool:
    """Need to know: the caller's own job, or any of their force's with the force-wide role."""
    return job.force_id == principal.force_id and (principal.force_wide or job.submitted_by == principal.user_id)


def _own_job(req: func.HttpRequest, services: Services, principal: Principal) -> Job:
    job = services.jobs.get(principal.force_id, req.route_params.get("job_id", ""))
    if job is None or not may_see(principal, job):
        raise NotFound("no such job")
    return job


def _read_json(req: func.HttpRequest) -> Any:
    raw = req.get_body() or b""
    if len(raw) > openapi.MAX_BODY_BYTES:
        raise TooLarge(f"the body is {len(raw)} bytes; the limit is {openapi.MAX_BODY_BYTES}")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidBody("", "the body must be JSON") from None


def job_view(job: Job, orchestration: str | None = None) -> dict[str, Any]:
    """A job as the API shows it, with links to itself and its results."""
    d = job.to_dict()
    d["links"] = {"self": f"/api/v1/jobs/{job.job_id}", "results": f"/api/v1/jobs/{job.job_id}/results"}
    if orchestration is not None:
        d["orchestration"] = {"instanceId": instance_id_for(job), "runtimeStatus": orchestration}
    return d


async def guarded(handler: Handler, req: func.HttpRequest, client: DurableClient,
                  services: Services) -> func.HttpResponse:
    """Run a handler, answering its expected failures as problem documents."""
    try:
        return await handler(req, client, services)
    except Unauthenticated:
        return _problem(401, "Unauthenticated")
    except Forbidden as e:
        return _problem(403, "Forbidden", str(e))
    except NotFound as e:
        return _problem(404, "Not found", str(e))
    except (InvalidState, NotRenamable, ConcurrencyError) as e:
        return _problem(409, "Conflict", str(e))
    except TooLarge as e:
        return _problem(413, "Content too large", str(e))
    except InvalidBody as e:
        return _problem(400, "Bad request", str(e), field=e.field)
    except ValueError as e:
        return _problem(400, "Bad request", str(e))
    except Exception as e:  # never a traceback (it may quote a request) in the log or the answer
        log.error("%s failed: %s", getattr(handler, "__name__", "handler"), type(e).__name__)
        return _problem(500, "Internal error")


# -- handlers ------------------------------------------------------------------------------------------
async def submit_job(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """POST /jobs {blobUrl, options}: a blob in the force's intake folder or the force's own account."""
    principal = _principal(req, services)
    body = _read_json(req)
    check_request(body, "SubmitRequest")
    options = clean_options(with_default_speakers(dict(body.get("options") or {}), services.settings.default_speakers))
    url = body["blobUrl"]
    # the force is read from the checked path, and compared, before anything touches storage
    source = resolve_source(url, services.settings, force_sources(services.settings.force_sources))
    if source.force_id != principal.force_id:
        raise NotFound("no such blob")  # never say whose it is
    try:
        info = services.blobs.properties(source.ref)
    except BlobNotFound:
        raise NotFound("no such blob") from None
    notice = BlobNotice(url=url, size=info.size, etag=info.etag.strip('"'), content_md5=info.content_md5,
                        sha256=info.sha256, metadata=info.metadata, version_id=info.version_id)
    outcome = await decide_and_start(client, services, notice, options=options, submitted_by=principal.user_id,
                                     identity_extra=json.dumps(options, sort_keys=True) if options else "")
    if outcome.job is None:
        raise ValueError("not a file (a folder marker)")
    status = {"started": 202, "restarted": 202, "duplicate": 200, "rejected": 422}[outcome.action]
    return _json(status, job_view(outcome.job), {"Location": f"/api/v1/jobs/{outcome.job.job_id}"})


async def get_job(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /jobs/{job_id}: status and progress."""
    job = _own_job(req, services, _principal(req, services))
    try:
        orchestration = runtime_status(await client.get_status(instance_id_for(job))) or "NotStarted"
    except Exception:  # the record is the answer; the orchestration's state is a detail
        orchestration = "Unknown"
    return _json(200, job_view(job, orchestration))


async def get_results(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /jobs/{job_id}/results: the record inline (``transcript``, or ``document`` for a document
    job), other formats as short-lived read-only links, and ``playback`` (the original, or the audio
    rendition at ``links.audio``). ``downloads`` names the audited route of each format (the page's
    download links); ``speakers`` the labels, the names overlay now in force and who named them;
    ``record`` the record's header details (case and exhibit references, persons present) as given.
    The view is audited first."""
    principal = _principal(req, services)
    job = _own_job(req, services, principal)
    document = job.summary.get("kind") == "document"
    record = "report" if document else "json"
    if job.status is not JobStatus.SUCCEEDED or record not in job.outputs:
        raise InvalidState(f"the job has no results ({job.status.value})")
    body: dict[str, Any] = {"jobId": job.job_id, "attempt": job.attempt}
    with job_context(job.job_id):
        if document:
            body["document"] = json.loads(services.blobs.download(job.outputs[record]))
            body["record"] = record_options(job.options)  # checked at intake and by the document's plan
        else:
            data, transcript = machine_transcript(services, job)
            overlay = current_overlay(services, job, data, transcript)
            body["transcript"] = transcript
            body["speakers"] = speakers_view(transcript, overlay)
            body["record"] = dict(overlay["record"])  # the record's header: case, exhibit, persons present
        record_access(services, job, principal.display, "view", f"attempt={job.attempt}")
        lifetime = timedelta(minutes=services.settings.result_link_minutes)
        links = {fmt: services.blobs.read_link(ref, lifetime) for fmt, ref in job.outputs.items() if fmt != "json"}
        playback = dict(job.summary.get("playback") or {"playable_original": True})
        if playback.get("rendition"):  # the page plays this when a browser cannot play the original
            links["audio"] = services.blobs.read_link(playback["rendition"]["ref"], lifetime)
    body.update(links=links, playback=playback, linksExpireAt=iso_utc(datetime.now(UTC) + lifetime),
                downloads={fmt: f"/api/v1/jobs/{job.job_id}/outputs/{fmt}" for fmt in job.outputs})
    return _json(200, body, {"Cache-Control": "no-store"})


async def download_output(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /jobs/{job_id}/outputs/{fmt}: audited, then 302 to a short-lived read-only link to that file."""
    principal = _principal(req, services)
    job = _own_job(req, services, principal)
    fmt = req.route_params.get("fmt", "")
    if job.status is not JobStatus.SUCCEEDED or fmt not in job.outputs:
        raise NotFound("no such output")
    record_access(services, job, principal.display, "download", f"format={fmt}")
    link = services.blobs.read_link(job.outputs[fmt], timedelta(minutes=services.settings.result_link_minutes))
    return func.HttpResponse(status_code=302, headers={"Location": link, "Cache-Control": "no-store"})


async def get_audit(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /jobs/{job_id}/audit: the job's access audit trail, oldest first (users, actions, times);
    ``truncated`` when it holds more than the ``MAX_AUDIT`` entries shown."""
    job = _own_job(req, services, _principal(req, services))
    entries = services.jobs.list_access(job.force_id, job.job_id, limit=MAX_AUDIT + 1)
    return _json(200, {"jobId": job.job_id, "truncated": len(entries) > MAX_AUDIT, "entries": [
        {"at": e.at, "user": e.user, "action": e.action, "detail": e.detail} for e in entries[:MAX_AUDIT]]},
        {"Cache-Control": "no-store"})


async def rename_speakers(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """PUT /jobs/{job_id}/speakers {"names": {"S1": "DC Hale", ...}}: a new names overlay version and
    the outputs rendered again from transcript.json and it (null or "" removes a name)."""
    principal = _principal(req, services)
    job = _own_job(req, services, principal)
    body = _read_json(req)
    check_request(body, "SpeakerNames")
    with job_context(job.job_id):
        renamed, overlay, transcript = rename(services, job, body["names"], by=principal.display[:80])
        if renamed is not job:  # something changed
            record_access(services, renamed, principal.display, "rename", f"overlay=v{overlay['version']}")
    return _json(200, {"jobId": job.job_id, "speakers": speakers_view(transcript, overlay),
                       "downloads": {fmt: f"/api/v1/jobs/{job.job_id}/outputs/{fmt}" for fmt in renamed.outputs}})


async def list_jobs(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /jobs?status=&limit=&scope=mine|force: the caller's own jobs (default) or, with the force-wide
    role, every job of their force; newest first."""
    principal = _principal(req, services)
    status = JobStatus(req.params["status"]) if req.params.get("status") else None
    limit = int(req.params.get("limit") or 50)
    if not 1 <= limit <= MAX_LIST:
        raise ValueError(f"limit must be between 1 and {MAX_LIST}")
    scope = req.params.get("scope") or "mine"
    if scope not in ("mine", "force"):
        raise ValueError("scope must be 'mine' or 'force'")
    if scope == "force" and not principal.force_wide:
        raise Forbidden("only the force-wide role lists the force's jobs")
    jobs = services.jobs.list_jobs(principal.force_id, status=status, limit=limit,
                                   submitted_by=None if scope == "force" else principal.user_id)
    return _json(200, {"forceId": principal.force_id, "scope": scope, "jobs": [job_view(j) for j in jobs]})


async def cancel(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """POST /jobs/{job_id}/cancel."""
    principal = _principal(req, services)
    job = _own_job(req, services, principal)
    return _json(202, job_view(await cancel_job(client, services, job, actor=principal.display)))


async def retry(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """POST /jobs/{job_id}/retry: a new attempt of a failed or cancelled job."""
    principal = _principal(req, services)
    job = _own_job(req, services, principal)
    return _json(202, job_view(await retry_job(client, services, job, actor=principal.display)))


async def openapi_document(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /openapi.json."""
    return _json(200, openapi.build_document())


# -- routes ----------------------------------------------------------------------------------------------
# Two locks: a function key (held by the gateway or the force's integration) and the Entra principal that
# App Service authentication forwards; either alone does not open the API.
bp = df.Blueprint(http_auth_level=func.AuthLevel.FUNCTION)


def _route(name: str, route: str, method: str, handler: Handler) -> None:
    async def endpoint(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
        return await guarded(handler, req, client, get_services())

    endpoint.__name__ = endpoint.__qualname__ = name
    bp.function_name(name)(bp.route(route=route, methods=[method])(
        bp.durable_client_input(client_name="client")(endpoint)))


for _name, _route_path, _method, _handler in (
    ("api_submit_job", "v1/jobs", "POST", submit_job),
    ("api_list_jobs", "v1/jobs", "GET", list_jobs),
    ("api_get_job", "v1/jobs/{job_id}", "GET", get_job),
    ("api_get_results", "v1/jobs/{job_id}/results", "GET", get_results),
    ("api_cancel_job", "v1/jobs/{job_id}/cancel", "POST", cancel),
    ("api_retry_job", "v1/jobs/{job_id}/retry", "POST", retry),
    ("api_download_output", "v1/jobs/{job_id}/outputs/{fmt}", "GET", download_output),
    ("api_get_audit", "v1/jobs/{job_id}/audit", "GET", get_audit),
    ("api_rename_speakers", "v1/jobs/{job_id}/speakers", "PUT", rename_speakers),
    ("api_openapi", "v1/openapi.json", "GET", openapi_document),
    ("api_me", "v1/me", "GET", upload_sas.who_am_i),  # the page's signed-in caller (Azure)
    ("api_create_upload", "v1/uploads", "POST", upload_sas.create_upload),  # browser uploads (Azure)
    ("api_get_upload", "v1/uploads/{upload_id}", "GET", upload_sas.get_upload),
    ("api_renew_upload", "v1/uploads/{upload_id}/renew", "POST", upload_sas.renew_upload),
):
    _route(_name, _route_path, _method, _handler)
