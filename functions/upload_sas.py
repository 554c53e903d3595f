"""Browser uploads in Azure: ``POST /api/v1/uploads`` issues a write-only SAS for exactly one new blob.

The two steps of :mod:`functions.local.uploads`, with Azure Blob Storage doing the second:

1. ``POST /api/v1/uploads {name, size}`` (an authenticated officer) records an upload slot and answers
   ``201 {uploadId, uploadUrl, blobName, blockSize, expiresAt, protocol, blockListUrl, renewUrl}``:
   ``uploadUrl`` is the blob's URL with a user-delegation SAS that may only create and write that one
   blob (``sp=cw``, ``sr=b``, https, short-lived): no read, list or delete, no other name.
2. The browser stages blocks (``Put Block``), in parallel, and commits them (``Put Block List``) with the
   file's SHA-256 as ``x-ms-meta-sha256`` and the job options as ``x-ms-meta-*``; the BlobCreated event
   runs the blob trigger's ``start_from_blob``.

The blob name is ``incoming/<force>/web/<yyyy-mm-dd>/<slot id>/<file name>``, and the slot record
(``work/upload-slots/<force>/<slot id>.json``: owner, force, blob name, size, times) is written with the
app's identity *before* the SAS exists, where a SAS holder cannot reach it. A SAS cannot fix metadata
values, so a browser could send any ``x-ms-meta-submitted_by``: for a blob under ``incoming/<force>/web/``
the submitter is the slot record's owner, and without a matching record there is none
(:func:`submitter_for`); other intake paths (force systems writing with their own RBAC role) keep the
metadata's value, as before.

``POST /api/v1/uploads {name, size, resume: true}`` (a reloaded page) answers the caller's newest slot for
that name and size, while young and uncommitted, with a fresh SAS (``resumed: true``; a pointer per owner,
name and size, ``work/upload-slots/<force>/resume/<sha256>.json``, names it). The SAS cannot read, so the
block list an interrupted upload resumes from comes from
``GET /api/v1/uploads/{uploadId}`` (read by the app), and ``POST /api/v1/uploads/{uploadId}/renew`` signs
the same blob name again for an upload that outlasts its SAS (a slot is renewable for
:data:`SLOT_MAX_AGE`; Azure keeps uncommitted blocks for 7 days). Both answer 404 for a slot of anyone
else, exactly as for one that does not exist.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

import azure.functions as func

from functions.auth import Forbidden, Principal, Unauthenticated, principal_from_headers
from shared.adapters.base import BlobExists, BlobNotFound
from shared.blob_layout import INCOMING, WORK
from shared.clock import iso_utc
from shared.outputs.languages import LANGUAGE_NAMES
from shared.services import Services

log = logging.getLogger(__name__)

WEB_FOLDER = "web"  # incoming/<force>/web/...: browser uploads; the submitter comes from the slot record
SLOT_RECORDS = f"{WORK}/upload-slots"
BLOCK_SIZE = 8 * 1024 * 1024  # 10 GiB = 1,280 blocks (Azure allows 50,000 of up to 4000 MiB)
MAX_BLOCKS = 50_000
LINK_LIFETIME = timedelta(minutes=60)
SLOT_MAX_AGE = timedelta(hours=24)
PROTOCOL = "azure-blob"  # the local server's slots answer no protocol: its own JSON block list
_NAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\]")
_SLOT_ID = re.compile(r"[0-9a-f]{32}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class UploadRefused(Exception):
    """A request the upload endpoints refuse; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@runtime_checkable
class IssuesUploadLinks(Protocol):
    """What a blob store needs for browser uploads (``shared.adapters.azure_blob.AzureBlobStore``)."""

    def write_link(self, ref: str, expires_in: timedelta) -> str: ...

    def staged_blocks(self, ref: str) -> list[tuple[str, int]]: ...


@dataclass(frozen=True)
class SlotRecord:
    slot_id: str
    force_id: str
    user_id: str
    blob_ref: str  # incoming/<force>/web/<day>/<slot id>/<name>
    name: str
    size: int
    created_at: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SlotRecord:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


def record_ref(force_id: str, slot_id: str) -> str:
    return f"{SLOT_RECORDS}/{force_id}/{slot_id}.json"


def slot_of_blob(blob_ref: str) -> tuple[str, str] | None:
    """(force, slot id) when ``blob_ref`` lies in the browser-upload namespace, else None."""
    parts = blob_ref.split("/")
    if len(parts) >= 3 and parts[0] == INCOMING and parts[2] == WEB_FOLDER:
        if len(parts) == 6 and _DAY.fullmatch(parts[3]) and _SLOT_ID.fullmatch(parts[4]):
            return parts[1], parts[4]
        return parts[1], ""  # in the namespace but not a slot's name: no submitter
    return None


def _links(services: Services) -> IssuesUploadLinks:
    if not isinstance(services.blobs, IssuesUploadLinks):
        raise UploadRefused(501, "browser uploads by SAS need Azure Blob Storage (locally, toex web has its own)")
    return services.blobs


def _check_file(services: Services, name: Any, size: Any) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200 or _NAME_BAD.search(name) or name in (".", ".."):
        raise UploadRefused(400, "the file name must be a plain name of at most 200 characters")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in services.settings.allowed_extensions:
        raise UploadRefused(400, f"files of type {suffix or '(none)'!r} are not accepted; upload audio or video")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise UploadRefused(400, "size must be the file's size in bytes (more than 0)")
    if size > services.settings.max_upload_bytes:
        raise UploadRefused(413, f"the file is {size} bytes; the limit is {services.settings.max_upload_bytes} bytes")
    if size > BLOCK_SIZE * MAX_BLOCKS:
        raise UploadRefused(413, f"the file needs more than {MAX_BLOCKS} blocks of {BLOCK_SIZE} bytes")
    return name


def _slot_view(record: SlotRecord, link: str, lifetime: timedelta) -> dict[str, Any]:
    expires = datetime.now(UTC).replace(microsecond=0) + lifetime
    return {"uploadId": record.slot_id, "uploadUrl": link, "blobName": record.blob_ref, "size": record.size,
            "blockSize": BLOCK_SIZE, "expiresAt": iso_utc(expires), "protocol": PROTOCOL,
            "blockListUrl": f"/api/v1/uploads/{record.slot_id}",
            "renewUrl": f"/api/v1/uploads/{record.slot_id}/renew"}


def resume_ref(principal: Principal, name: str, size: int) -> str:
    """The pointer to the caller's newest slot for this file name and size (a reloaded page resumes it)."""
    key = hashlib.sha256(f"{principal.user_id}\n{name}\n{size}".encode()).hexdigest()
    return f"{SLOT_RECORDS}/{principal.force_id}/resume/{key}.json"


def _unfinished(services: Services, principal: Principal, name: str, size: int) -> SlotRecord | None:
    """The caller's newest slot for this name and size while it is young and uncommitted, else None."""
    try:
        slot_id = json.loads(services.blobs.download(resume_ref(principal, name, size)))["slotId"]
        record = own_slot(services, principal, slot_id)
    except (BlobNotFound, UploadRefused, ValueError, KeyError, TypeError):
        return None
    young = datetime.now(UTC) - datetime.fromisoformat(record.created_at) < SLOT_MAX_AGE
    ok = young and record.name == name and record.size == size and not _committed(services, record.blob_ref)
    return record if ok else None


def open_slot(services: Services, principal: Principal, name: Any, size: Any,
              lifetime: timedelta = LINK_LIFETIME, resume: bool = False) -> dict[str, Any]:
    """Record a slot for one new blob in the caller's force folder and sign a write-only SAS for it; with
    ``resume``, the caller's unfinished slot for this name and size instead (``resumed: true``), as locally."""
    links = _links(services)
    name = _check_file(services, name, size)
    kept = _unfinished(services, principal, name, size) if resume else None
    if kept is not None:
        return {**_slot_view(kept, links.write_link(kept.blob_ref, lifetime), lifetime), "resumed": True}
    slot_id = secrets.token_hex(16)
    now = datetime.now(UTC)
    blob_ref = f"{INCOMING}/{principal.force_id}/{WEB_FOLDER}/{now:%Y-%m-%d}/{slot_id}/{name}"
    record = SlotRecord(slot_id, principal.force_id, principal.user_id, blob_ref, name, size, iso_utc(now))
    services.blobs.upload(record_ref(principal.force_id, slot_id), json.dumps(asdict(record)).encode(),
                          content_type="application/json")  # write-once: never replaced
    services.blobs.upload(resume_ref(principal, name, size), json.dumps({"slotId": slot_id}).encode(),
                          overwrite=True, content_type="application/json")  # a pointer: the newest slot
    log.info("upload slot opened for force %s", principal.force_id)
    return {**_slot_view(record, links.write_link(blob_ref, lifetime), lifetime), "resumed": False}


def own_slot(services: Services, principal: Principal, slot_id: str) -> SlotRecord:
    """The caller's own slot; anyone else's, or a malformed id, is answered as one that does not exist."""
    if not _SLOT_ID.fullmatch(slot_id or ""):
        raise UploadRefused(404, "no such upload")
    try:
        record = SlotRecord.from_dict(json.loads(services.blobs.download(record_ref(principal.force_id, slot_id))))
    except BlobNotFound:
        raise UploadRefused(404, "no such upload") from None
    if record.user_id != principal.user_id or record.force_id != principal.force_id:
        raise UploadRefused(404, "no such upload")
    return record


def _committed(services: Services, blob_ref: str) -> bool:
    try:
        services.blobs.properties(blob_ref)
    except BlobNotFound:
        return False
    return True


def renew_slot(services: Services, principal: Principal, slot_id: str,
               lifetime: timedelta = LINK_LIFETIME) -> dict[str, Any]:
    """A fresh SAS for the same blob name, while the slot is young enough and not yet committed."""
    record, links = own_slot(services, principal, slot_id), _links(services)
    if datetime.now(UTC) - datetime.fromisoformat(record.created_at) > SLOT_MAX_AGE:
        raise UploadRefused(410, "the upload slot has expired: start the upload again")
    if _committed(services, record.blob_ref):
        raise UploadRefused(409, "the upload is committed")
    return _slot_view(record, links.write_link(record.blob_ref, lifetime), lifetime)


def slot_blocks(services: Services, principal: Principal, slot_id: str) -> dict[str, Any]:
    """The blocks staged so far (the local slots' JSON shape), read with the app's identity."""
    record, links = own_slot(services, principal, slot_id), _links(services)
    committed = _committed(services, record.blob_ref)
    blocks = [] if committed else links.staged_blocks(record.blob_ref)
    return {"uploadId": record.slot_id, "blobName": record.blob_ref, "size": record.size, "committed": committed,
            "uncommittedBlocks": [{"name": b, "size": n} for b, n in blocks]}


def submitter_for(services: Services, blob_ref: str | None, metadata: dict[str, str]) -> str | None:
    """Who submitted a created blob: the slot record's owner in ``incoming/<force>/web/``, never the
    metadata there; elsewhere the metadata's ``submitted_by`` (written by a force system's own role)."""
    slot = slot_of_blob(blob_ref) if blob_ref else None
    if slot is None:
        return metadata.get("submitted_by")
    force, slot_id = slot
    try:
        record = SlotRecord.from_dict(json.loads(services.blobs.download(record_ref(force, slot_id)))) \
            if slot_id else None
    except (BlobNotFound, ValueError, KeyError, TypeError):
        record = None
    if record is None or record.force_id != force or record.blob_ref != blob_ref:
        log.warning("a browser upload without a matching slot record: no submitter recorded")
        return None
    return record.user_id


def blob_ref_of(url: str, account_url: str) -> str | None:
    """``container/name`` of a blob URL in the app's own account (decoded), else None."""
    if not account_url:
        return None
    own, blob = urlsplit(account_url), urlsplit(url)
    prefix = own.path.rstrip("/") + "/"
    if (blob.scheme, blob.netloc.lower()) != (own.scheme, own.netloc.lower()) or not blob.path.startswith(prefix):
        return None
    return unquote(blob.path[len(prefix):])


# -- HTTP handlers (bound to routes in functions.api) -------------------------------------------------------
def _json(status: int, body: Any) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json",
                             headers={"Cache-Control": "no-store"})


def _problem(status: int, title: str, detail: str | None = None) -> func.HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, **({"detail": detail} if detail else {})}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/problem+json",
                             headers=headers)


def _answer(req: func.HttpRequest, services: Services, work: Any, status: int = 200) -> func.HttpResponse:
    try:
        principal = principal_from_headers(dict(req.headers), services.settings.forces)
        return _json(status, work(principal))
    except Unauthenticated:
        return _problem(401, "Unauthenticated")
    except Forbidden as e:
        return _problem(403, "Forbidden", str(e))
    except UploadRefused as e:
        return _problem(e.status, "Upload refused", str(e))
    except BlobExists:
        return _problem(409, "Conflict", "the upload slot exists already")


async def who_am_i(req: func.HttpRequest, client: Any, services: Services) -> func.HttpResponse:
    """GET /me: the signed-in caller as the page shows it (the local server's /me), and the block size."""
    return _answer(req, services, lambda p: {"userId": p.user_id, "name": p.name, "forceId": p.force_id,
                                             "roles": list(p.roles), "languages": LANGUAGE_NAMES,
                                             "blockSize": BLOCK_SIZE})


async def create_upload(req: func.HttpRequest, client: Any, services: Services) -> func.HttpResponse:
    """POST /uploads {name, size}: a slot and a write-only SAS for one new blob in the caller's force folder."""
    try:
        body = json.loads(req.get_body() or b"{}")
    except ValueError:
        return _problem(400, "Bad request", "the body must be JSON {name, size}")
    if not isinstance(body, dict):
        return _problem(400, "Bad request", "the body must be JSON {name, size}")
    return _answer(req, services, lambda p: open_slot(services, p, body.get("name"), body.get("size"),
                                                      resume=body.get("resume") is True), 201)


async def get_upload(req: func.HttpRequest, client: Any, services: Services) -> func.HttpResponse:
    """GET /uploads/{upload_id}: the blocks staged so far (the SAS cannot read them)."""
    return _answer(req, services, lambda p: slot_blocks(services, p, req.route_params.get("upload_id", "")))


async def renew_upload(req: func.HttpRequest, client: Any, services: Services) -> func.HttpResponse:
    """POST /uploads/{upload_id}/renew: a fresh SAS for the same blob name."""
    return _answer(req, services, lambda p: renew_slot(services, p, req.route_params.get("upload_id", "")))


# -- the OpenAPI description of these routes (functions.openapi joins it in) -------------------------------
_PROBLEM = {"$ref": "#/components/responses/Problem"}
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "The upload slot's id (32 hex digits)."}


def _response(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description,
                     "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


OPENAPI_SCHEMAS: dict[str, Any] = {
    "UploadRequest": {"type": "object", "required": ["name", "size"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The file's plain name."},
        "size": {"type": "integer", "minimum": 1, "description": "The file's size in bytes."},
        "resume": {"type": "boolean", "description": "Answer the caller's unfinished slot for this name and size "
                                                     "(a reloaded page), if any."}}},
    "UploadSlot": {"type": "object", "required": ["uploadId", "uploadUrl", "blobName", "blockSize", "expiresAt"],
                   "properties": {
        "uploadId": {"type": "string"}, "blobName": {"type": "string"}, "size": {"type": "integer"},
        "uploadUrl": {"type": "string", "format": "uri",
                      "description": "The blob's URL with a create+write user-delegation SAS for it alone "
                                     "(Put Block, Put Block List); append '&comp=...'."},
        "blockSize": {"type": "integer"}, "expiresAt": {"type": "string", "format": "date-time"},
        "protocol": {"const": PROTOCOL}, "blockListUrl": {"type": "string"}, "renewUrl": {"type": "string"},
        "resumed": {"type": "boolean", "description": "An unfinished slot of the caller's, its staged blocks kept."}}},
    "UploadBlocks": {"type": "object", "properties": {
        "uploadId": {"type": "string"}, "blobName": {"type": "string"}, "size": {"type": "integer"},
        "committed": {"type": "boolean"},
        "uncommittedBlocks": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string", "description": "base64 block id"}, "size": {"type": "integer"}}}}}},
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/me": {
        "get": {"operationId": "getMe", "summary": "The signed-in caller, the languages and the upload block size",
                "responses": {"200": {"description": "userId, name, forceId, roles, languages, blockSize",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "401": _PROBLEM, "403": _PROBLEM}},
    },
    "/api/v1/uploads": {
        "post": {"operationId": "createUpload", "summary": "A write-only SAS for one new blob in your force's folder",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/UploadRequest"}}}},
                 "responses": {**_response("The slot", "UploadSlot", "201"), "400": _PROBLEM, "401": _PROBLEM,
                               "403": _PROBLEM, "413": _PROBLEM}},
    },
    "/api/v1/uploads/{upload_id}": {
        "get": {"operationId": "getUpload", "summary": "The blocks staged so far (to resume)",
                "parameters": [_UPLOAD_ID],
                "responses": {**_response("Blocks", "UploadBlocks"), "401": _PROBLEM, "403": _PROBLEM,
                              "404": _PROBLEM}},
    },
    "/api/v1/uploads/{upload_id}/renew": {
        "post": {"operationId": "renewUpload", "summary": "A fresh SAS for the same blob name",
                 "parameters": [_UPLOAD_ID],
                 "responses": {**_response("The slot", "UploadSlot"), "401": _PROBLEM, "403": _PROBLEM,
                               "404": _PROBLEM, "409": _PROBLEM, "410": _PROBLEM}},
    },
}
