"""``toex web``: the officer's page over the local mode, with the same ``/api/v1`` routes as Azure.

HTTP requests are adapted into ``azure.functions.HttpRequest`` and answered by the very handlers of
:mod:`functions.api` (list, get, results, retry, cancel, submit, openapi), over a Durable client on the
local runner; uploads take the two steps of :mod:`functions.local.uploads` and start jobs through the
blob trigger's own ``start_from_blob``. The stdlib ``ThreadingHTTPServer`` is enough for one officer's
laptop and adds no dependency.

Invariants: every request passes :class:`~functions.local.webauth.Gate` (Host, Origin, token) before
any handler runs; every answer carries the security headers below; the log has method, route and
status only (no query, no body, no transcript text); a client's own ``X-MS-CLIENT-PRINCIPAL`` is dropped
and replaced by its identity's, as App Service does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import mimetypes
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from functions import api
from functions.intake import metadata_options
from functions.lifecycle import start_from_blob
from functions.local.app import LOCAL_FORCE, LocalApp
from functions.local.client import RunnerClient
from functions.local.ranges import byte_range, copy_range
from functions.local.uploads import BLOCK_SIZE, UploadError, UploadSlots
from functions.local.webauth import Gate, Identity, Refused
from shared.adapters.base import BlobNotFound
from shared.outputs.formats import FORMATS, file_name
from shared.outputs.languages import LANGUAGE_NAMES
from shared.settings import Settings

log = logging.getLogger("toex.web")

STATIC = Path(__file__).resolve().parent / "static"
LOCAL_ACCOUNT_URL = "https://toex.localhost/devstore"  # the blob URL local uploads are recorded under
UPLOAD_METADATA = ("case_ref", "exhibit_ref", "persons_present", "speakers", "language", "translate_to")
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
API_ROUTES: list[tuple[str, re.Pattern[str], api.Handler]] = [
    ("GET", re.compile(r"/api/v1/jobs"), api.list_jobs),
    ("POST", re.compile(r"/api/v1/jobs"), api.submit_job),
    ("GET", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)"), api.get_job),
    ("GET", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)/results"), api.get_results),
    ("POST", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)/cancel"), api.cancel),
    ("POST", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)/retry"), api.retry),
    ("GET", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)/outputs/(?P<fmt>[a-z]+)"), api.download_output),
    ("GET", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)/audit"), api.get_audit),
    ("PUT", re.compile(r"/api/v1/jobs/(?P<job_id>[\w.:-]+)/speakers"), api.rename_speakers),
    ("GET", re.compile(r"/api/v1/openapi.json"), api.openapi_document),
]
STATIC_FILES = {f"/{name}": name for name in ("app.js", "app.css", "sha256.js", "upload.js", "hash-worker.js",
                                              "speakers.js", "audit.js", "player.js", "documents.js", "resume.js",
                                              "signin.js", "azure-blob.js")}
STATIC_FILES["/"] = "index.html"
MAX_JSON = 64 * 1024
DEFAULT_IDENTITY = f"{LOCAL_FORCE}:officer"


class WebApp:
    """One launch: the local app, its runner worker, the gate and the upload slots."""

    def __init__(self, app: LocalApp, identities: list[Identity], host: str, port: int, *,
                 max_jobs: int = 1) -> None:
        self.app, self.host, self.port = app, host, port
        self.gate = Gate(identities, host, port, app.settings.result_link_minutes)
        self.client = RunnerClient(app.runner)
        self.slots = UploadSlots(app.settings, app.blobs)
        self.block_puts = 0  # staged blocks received (tests check that a resumed upload skips staged ones)
        self._running: dict[str, threading.Thread] = {}
        self._broken: set[str] = set()  # instances whose run raised: not run again in this launch
        self._stop = threading.Event()
        self._max_jobs = max_jobs
        self._worker = threading.Thread(target=self._drive, name="toex-web-runner", daemon=True)

    def start(self) -> None:
        self.app.unfinished()  # jobs recorded but never started (a killed launch) are started now
        self._worker.start()  # and every unfinished orchestration, of this launch or an earlier one, runs

    def stop(self) -> None:
        self._stop.set()

    def _drive(self) -> None:
        """Run every started orchestration (uploads, retries) one job at a time, in the background."""
        while not self._stop.wait(0.3):
            self._running = {k: t for k, t in self._running.items() if t.is_alive()}
            for instance_id in self.app.hub.unfinished():
                if instance_id in self._running or instance_id in self._broken or len(self._running) >= self._max_jobs:
                    continue
                t = threading.Thread(target=self._run_one, args=(instance_id,), daemon=True, name="toex-web-job")
                self._running[instance_id] = t
                t.start()

    def _run_one(self, instance_id: str) -> None:
        try:
            self.app.runner.run(instance_id)
        except Exception as e:  # the job record carries the reason; the log never quotes evidence
            self._broken.add(instance_id)
            log.error("orchestration run failed: %s (not run again until the next launch)", type(e).__name__)

    def call(self, handler: api.Handler, req: func.HttpRequest) -> func.HttpResponse:
        return asyncio.run(api.guarded(handler, req, self.client, self.app.services))

    def output_link(self, identity: Identity, job: Any, fmt: str) -> str:
        """The signed local read link to one of the job's outputs, named after the source."""
        stem = Path(job.source.name).stem or "transcript"
        ref = job.outputs[fmt]
        name = (f"{stem}.transcript.json" if fmt == "json" else file_name(stem, fmt) if fmt in FORMATS
                else PurePosixPath(ref).name)  # a document's outputs keep their own names
        return self.gate.read_link(identity, ref, name)

    def results_extras(self, identity: Identity, job_id: str) -> dict[str, Any]:
        """Local read links (the SAS stand-in) for every output and the original, and the upload's metadata."""
        job = self.app.services.jobs.get(identity.force_id, job_id)
        if job is None:
            return {}
        links = {fmt: self.output_link(identity, job, fmt) for fmt in job.outputs}
        links["media"] = self.gate.read_link(identity, job.source.ref, job.source.name)
        if rendition := (job.summary.get("playback") or {}).get("rendition"):
            ref = rendition["ref"]
            links["audio"] = self.gate.read_link(identity, ref, PurePosixPath(ref).name)
        try:
            meta = self.app.services.blobs.properties(job.source.ref).metadata
        except (BlobNotFound, ValueError):
            meta = {}
        try:  # decoded and aliased as intake reads them (the record's header itself comes from ``record``)
            given = metadata_options(meta)
        except ValueError:
            given = {}
        return {"links": links, "upload": {k: given[k] for k in UPLOAD_METADATA if k in given}}


class Handler(BaseHTTPRequestHandler):
    server_version = "toex-web"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    web: WebApp  # set on the subclass made by make_server

    # -- plumbing -------------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the base logs the raw request line (query string included); see _log

    def _log(self, status: int) -> None:
        route = re.sub(r"/(jobs|upload|blob)/[^?]+", r"/\1/…", urlsplit(self.path).path)
        log.info("%s %s %d", self.command, route, status)

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json",
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store", "Content-Type": content_type,
                   "Content-Length": str(len(body)), **(extra or {})}
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._log(status)

    def _problem(self, status: int, title: str) -> None:
        """A refusal closes the connection: a request body it did not read must not become the next request."""
        body = json.dumps({"type": "about:blank", "title": title, "status": status}).encode()
        self.close_connection = True
        self._send(status, body, "application/problem+json", {"Connection": "close"})

    def _read_body(self, limit: int = MAX_JSON) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        if length > limit:
            raise UploadError(413, "the body is too large")
        return self.rfile.read(length) if length else b""

    # -- dispatch ----------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path, params = parts.path, dict(parse_qsl(parts.query))
        method = "GET" if self.command == "HEAD" else self.command
        try:
            self.web.gate.check_site(self.command, self._headers())
            if method == "GET" and path == "/" and "token" in params:
                return self._exchange_token(params["token"])
            if method == "GET" and path in STATIC_FILES:
                return self._static(STATIC_FILES[path])
            identity = self.web.gate.identify(self._headers())
            if path.startswith("/api/"):
                return self._api(identity, method, path, params)
            if path.startswith("/upload/"):
                return self._upload(identity, method, path.removeprefix("/upload/"), params)
            if path.startswith("/blob/") and method == "GET":
                return self._blob(identity, unquote(path.removeprefix("/blob/")), params)
            self._problem(404, "Not found")
        except Refused as e:
            self._problem(e.status, e.reason)
        except UploadError as e:
            self._problem(e.status, str(e))
        except (BrokenPipeError, ConnectionResetError):
            log.info("%s: the client went away", self.command)
        except Exception as e:  # never a traceback: it may quote a request
            log.error("request failed: %s", type(e).__name__)
            self._problem(500, "Internal error")

    def _exchange_token(self, token: str) -> None:
        identity = self.web.gate.by_token(token)
        if identity is None:
            return self._problem(401, "the token is not valid for this launch")
        # the token leaves the address bar (and the history) at once; the cookie is HttpOnly
        self._send(303, extra={"Location": "/", "Set-Cookie": Gate.session_cookie(identity)})

    def _static(self, name: str) -> None:
        data = (STATIC / name).read_bytes()
        kind = {"html": "text/html", "js": "text/javascript", "css": "text/css"}[name.rsplit(".", 1)[1]]
        self._send(200, data, f"{kind}; charset=utf-8")

    # -- /api/v1 -----------------------------------------------------------------------------------------
    def _api(self, identity: Identity, method: str, path: str, params: dict[str, str]) -> None:
        if path == "/api/v1/me" and method == "GET":
            body = {"userId": identity.user_id, "forceId": identity.force_id, "roles": [identity.role],
                    "languages": LANGUAGE_NAMES, "blockSize": BLOCK_SIZE}
            return self._send(200, json.dumps(body).encode())
        if path == "/api/v1/uploads" and method == "POST":
            return self._new_upload(identity)
        for route_method, pattern, handler in API_ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return self._call(identity, handler, method, path, params, match.groupdict())
        self._problem(404, "Not found")

    def _call(self, identity: Identity, handler: api.Handler, method: str, path: str, params: dict[str, str],
              route_params: dict[str, str]) -> None:
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("x-ms-client-principal", "authorization", "cookie")}
        headers["X-MS-CLIENT-PRINCIPAL"] = identity.principal_header()
        body = self._read_body(1024 * 1024) if method != "GET" else b""
        req = func.HttpRequest(method, f"http://{self.headers.get('host')}{path}", headers=headers, params=params,
                               route_params=route_params, body=body)
        resp = self.web.call(handler, req)
        data = resp.get_body()
        if handler is api.get_results and resp.status_code == 200:
            doc = json.loads(data)
            doc.update(self.web.results_extras(identity, route_params["job_id"]))
            data = json.dumps(doc, ensure_ascii=False).encode()
        extra = {k: v for k, v in resp.headers.items() if k.lower() in ("location", "www-authenticate")}
        if handler is api.download_output and resp.status_code == 302:  # audited: the SAS stand-in instead
            job = self.web.app.services.jobs.get(identity.force_id, route_params["job_id"])
            assert job is not None
            extra = {"Location": self.web.output_link(identity, job, route_params["fmt"])}
        self._send(resp.status_code, data, resp.mimetype or "application/json", extra)

    # -- uploads -------------------------------------------------------------------------------------------
    def _new_upload(self, identity: Identity) -> None:
        try:
            body = json.loads(self._read_body() or b"{}")
        except ValueError:
            raise UploadError(400, "the body must be JSON") from None
        if not isinstance(body, dict):
            raise UploadError(400, "the body must be a JSON object")
        name, size = body.get("name", ""), body.get("size", 0)
        kept = self.web.slots.unfinished(identity, name, size) if body.get("resume") else None  # a reloaded page
        slot = kept or self.web.slots.create(identity, name, size)
        doc: dict[str, Any] = {"uploadId": slot.slot_id, "uploadUrl": f"/upload/{slot.slot_id}", "blobName": slot.ref,
               "blockSize": BLOCK_SIZE, "protocol": "blocks", "resumed": kept is not None}
        self._send(200 if kept else 201, json.dumps(doc, ensure_ascii=False).encode(),
                   extra={"Location": str(doc["uploadUrl"])})

    def _upload(self, identity: Identity, method: str, slot_id: str, params: dict[str, str]) -> None:
        slots = self.web.slots
        slot = slots.get(identity, slot_id)
        comp = params.get("comp")
        if method == "GET" and comp == "blocklist":
            return self._send(200, json.dumps(slots.block_list(slot)).encode())
        if method == "PUT" and comp == "block":
            length = int(self.headers.get("content-length") or 0)
            slots.stage(slot, params.get("blockid", ""), self.rfile, length)  # type: ignore[arg-type]
            self.web.block_puts += 1
            return self._send(201)
        if method == "PUT" and comp == "blocklist":
            return self._commit(slot)
        self._problem(400, "unknown upload operation")

    def _commit(self, slot: Any) -> None:
        try:
            blocks = json.loads(self._read_body(4 * 1024 * 1024)).get("blocks")
        except (ValueError, AttributeError):
            raise UploadError(400, "the body must be {\"blocks\": [block ids]}") from None
        if not isinstance(blocks, list) or not all(isinstance(b, str) for b in blocks):
            raise UploadError(400, "the body must be {\"blocks\": [block ids]}")
        meta = {k.lower()[len("x-ms-meta-"):]: v for k, v in self.headers.items()
                if k.lower().startswith("x-ms-meta-") and len(v) <= 2048}
        self.web.slots.assemble(slot, blocks, meta)
        blob = self.web.slots.blob_client(slot, self.web.app.settings.blob_account_url)
        outcome = asyncio.run(start_from_blob(blob, self.web.client))  # the blob trigger's own code
        job = outcome.job
        slot.committed = job.job_id if job else ""
        doc = {"action": outcome.action, "job": api.job_view(job) if job else None}
        self._send(201, json.dumps(doc, ensure_ascii=False).encode())

    # -- read links ---------------------------------------------------------------------------------------
    def _blob(self, identity: Identity, ref: str, params: dict[str, str]) -> None:
        filename = self.web.gate.check_link(identity, ref, params)
        try:
            path = self.web.app.blobs.local_path(ref)
        except (BlobNotFound, ValueError):
            return self._problem(404, "Not found")
        size = path.stat().st_size
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        media = PurePosixPath(filename).suffix.lower() in self.web.app.settings.allowed_extensions
        disposition = "inline" if media else "attachment"
        safe_name = re.sub(r'[^\w. -]', "_", filename) or "download"
        extra = {"Accept-Ranges": "bytes", "Content-Disposition": f'{disposition}; filename="{safe_name}"',
                 "Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, no-store"}
        span = byte_range(self.headers.get("range"), size)
        if span is None:
            return self._send(416, extra={"Content-Range": f"bytes */{size}"})
        start, end, status = span
        if status == 206:
            extra["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.send_response(status)
        for k, v in {**SECURITY_HEADERS, "Content-Type": kind, "Content-Length": str(end - start + 1),
                     **extra}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            copy_range(path, self.wfile, start, end)
        self._log(status)


def make_server(app: LocalApp, identities: list[Identity], host: str = "127.0.0.1",
                port: int = 8080) -> tuple[ThreadingHTTPServer, WebApp]:
    """Bind (port 0: any free port), wire the handlers; the caller runs ``serve_forever``."""
    server = ThreadingHTTPServer((host, port), Handler)
    web = WebApp(app, identities, host, server.server_address[1])
    server.RequestHandlerClass = type("BoundHandler", (Handler,), {"web": web})
    server.daemon_threads = True
    web.start()
    return server, web


def local_app(settings: Settings, identities: list[Identity], *, workers: int = 2,
              retry_interval_scale: float = 1.0) -> LocalApp:
    """The local app with the intake the page writes to: uploads are recorded under
    ``LOCAL_ACCOUNT_URL/incoming/<force>/...`` (unless ``TOEX_BLOB_ACCOUNT_URL`` names another) and the
    identities' forces are the ones served."""
    forces = tuple(dict.fromkeys(i.force_id for i in identities))
    settings = dataclasses.replace(settings, blob_account_url=settings.blob_account_url or LOCAL_ACCOUNT_URL,
                                   forces=forces)
    return LocalApp(settings, workers=workers, retry_interval_scale=retry_interval_scale)


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080, identities: list[str] | None = None,
          workers: int = 2) -> int:
    """``toex web``: serve until interrupted; prints one link (with its token) per identity."""
    people = [Identity.parse(s) for s in identities or [DEFAULT_IDENTITY]]
    server, web = make_server(local_app(settings, people, workers=workers), people, host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"toex web: warning: listening on {host}, not only this machine", file=sys.stderr)
    for person in people:
        print(f"toex web: {person.force_id}/{person.user_id}: {launch_url(web, person)}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
        server.server_close()
    return 0


def launch_url(web: WebApp, identity: Identity) -> str:
    host = web.host if web.host not in ("0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{web.port}/?token={identity.token}"
