"""HTTP API ``/api/v1/...`` for officers' tools and force IT.

Every handler is a plain ``async (request, client, services) -> HttpResponse`` function; the blueprint
below only binds them to routes and the Durable client. Each call is scoped to the caller's force (see
:mod:`functions.auth`): a job of another force is answered 404, exactly as a job that does not exist.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions import openapi, upload_sas
from functions.auth import Forbidden, Principal, Unauthenticated, principal_from_headers
from functions.intake import BlobNotice, clean_options, force_sources, resolve_source
from functions.lifecycle import (
    DurableClient,
    InvalidState,
    cancel_job,
    decide_and_start,
    instance_id_for,
    retry_job,
    runtime_status,
)
from functions.schema import InvalidBody, check_request
from shared.adapters.base import BlobNotFound, ConcurrencyError
from shared.clock import iso_utc
from shared.domain import Job, JobStatus
from shared.logcontext import job_context
from shared.services import Services, get_services

log = logging.getLogger(__name__)

MAX_LIST = 200
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


def _own_job(req: func.HttpRequest, services: Services, principal: Principal) -> Job:
    job = services.jobs.get(principal.force_id, req.route_params.get("job_id", ""))
    if job is None:
        raise NotFound("no such job")
    return job


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
    except (InvalidState, ConcurrencyError) as e:
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
    raw = req.get_body() or b""
    if len(raw) > openapi.MAX_BODY_BYTES:
        raise TooLarge(f"the body is {len(raw)} bytes; the limit is {openapi.MAX_BODY_BYTES}")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidBody("", "the body must be JSON") from None
    check_request(body, "SubmitRequest")
    options = clean_options(body.get("options") or {})
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
    """GET /jobs/{job_id}/results: transcript.json inline, other formats as short-lived read-only links."""
    job = _own_job(req, services, _principal(req, services))
    if job.status is not JobStatus.SUCCEEDED or "json" not in job.outputs:
        raise InvalidState(f"the job has no results ({job.status.value})")
    with job_context(job.job_id):
        transcript = json.loads(services.blobs.download(job.outputs["json"]))
        lifetime = timedelta(minutes=services.settings.result_link_minutes)
        links = {fmt: services.blobs.read_link(ref, lifetime) for fmt, ref in job.outputs.items() if fmt != "json"}
    expires = iso_utc(datetime.now(UTC) + lifetime)
    return _json(200, {"jobId": job.job_id, "attempt": job.attempt, "transcript": transcript, "links": links,
                       "linksExpireAt": expires}, {"Cache-Control": "no-store"})


async def list_jobs(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """GET /jobs?status=&limit=: the caller's force's jobs, newest first."""
    principal = _principal(req, services)
    status = JobStatus(req.params["status"]) if req.params.get("status") else None
    limit = int(req.params.get("limit") or 50)
    if not 1 <= limit <= MAX_LIST:
        raise ValueError(f"limit must be between 1 and {MAX_LIST}")
    jobs = services.jobs.list_jobs(principal.force_id, status=status, limit=limit)
    return _json(200, {"forceId": principal.force_id, "jobs": [job_view(j) for j in jobs]})


async def cancel(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """POST /jobs/{job_id}/cancel."""
    job = _own_job(req, services, _principal(req, services))
    return _json(202, job_view(await cancel_job(client, services, job)))


async def retry(req: func.HttpRequest, client: DurableClient, services: Services) -> func.HttpResponse:
    """POST /jobs/{job_id}/retry: a new attempt of a failed or cancelled job."""
    job = _own_job(req, services, _principal(req, services))
    return _json(202, job_view(await retry_job(client, services, job)))


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
    ("api_openapi", "v1/openapi.json", "GET", openapi_document),
    ("api_create_upload", "v1/uploads", "POST", upload_sas.create_upload),  # browser uploads (Azure)
    ("api_get_upload", "v1/uploads/{upload_id}", "GET", upload_sas.get_upload),
    ("api_renew_upload", "v1/uploads/{upload_id}/renew", "POST", upload_sas.renew_upload),
):
    _route(_name, _route_path, _method, _handler)
