"""The officer's page in Azure: its static files, served by the Function App behind API Management.

``GET /api/page/{*path}`` answers only the files of the page's folder (a flat allowlist read once), with
the local server's security headers (functions/local/web.py). API Management publishes it at the root of
the gateway, ``https://<gateway>/``, beside ``/api/v1`` (docs/deploy.md), so the page and the API share
one origin and need no CORS; the Content-Security-Policy widens ``connect-src`` to exactly the evidence
account's blob endpoint (block uploads with the SAS of functions/upload_sas.py) and the Entra ID token
endpoint of the page's tenant (the sign-in's code-for-token exchange, static/signin.js), and ``media-src``
to the blob endpoint (the recording's read-only link). ``config.json`` tells the page where to sign in:
tenant, client id (the API's app registration, with a single-page-application redirect URI) and the API
scope, from the app settings ``TOEX_PAGE_TENANT_ID``, ``TOEX_PAGE_CLIENT_ID``, ``TOEX_PAGE_API_SCOPE``
(and ``TOEX_PAGE_AUTHORITY``, default Entra's public cloud). The files are code, never evidence: App
Service authentication lets these paths through (authsettingsV2 excludedPaths), and the gateway adds the
function key as for every route.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import azure.functions as func

from shared.settings import Settings

STATIC = Path(__file__).resolve().parents[1] / "local" / "static"
LOGIN_ORIGIN = "https://login.microsoftonline.com"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}
FILES = {p.name: p for p in sorted(STATIC.iterdir()) if p.is_file() and p.suffix in TYPES} if STATIC.is_dir() else {}


def origin_of(url: str) -> str:
    """``https://host[:port]`` of a URL ('' when it has none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def sign_in_config(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the page's sign-in needs (all public values); empty strings where a setting is missing."""
    env = os.environ if env is None else env
    return {"authority": (env.get("TOEX_PAGE_AUTHORITY") or LOGIN_ORIGIN).rstrip("/"),
            "tenant": env.get("TOEX_PAGE_TENANT_ID", ""), "clientId": env.get("TOEX_PAGE_CLIENT_ID", ""),
            "scope": env.get("TOEX_PAGE_API_SCOPE", "")}


def token_endpoint(config: Mapping[str, str]) -> str:
    """The one sign-in URL the page fetches (``{authority}/{tenant}/oauth2/v2.0/token``), '' if unset."""
    return f"{config['authority']}/{config['tenant']}/oauth2/v2.0/token" if config.get("tenant") else ""


def security_headers(blob_account_url: str, token_url: str = "") -> dict[str, str]:
    blob = origin_of(blob_account_url)
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"media-src 'self' {blob}; connect-src 'self' {blob} {token_url}; worker-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ).replace("  ", " ").replace(" ;", ";"),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Strict-Transport-Security": "max-age=31536000",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def serve(path: str, settings: Settings, env: Mapping[str, str] | None = None) -> func.HttpResponse:
    """One file of the page (``index.html`` for the root), or ``config.json``; anything else a plain 404."""
    name = path.strip("/") or "index.html"
    config = sign_in_config(env)
    headers = security_headers(settings.blob_account_url, token_endpoint(config))
    if name == "config.json":
        return func.HttpResponse(json.dumps(config), status_code=200, headers={
            **headers, "Content-Type": "application/json", "Cache-Control": "no-cache"})
    file = FILES.get(name)
    if file is None:
        return func.HttpResponse("not found", status_code=404, mimetype="text/plain", headers=headers)
    cache = "no-cache" if name == "index.html" else "public, max-age=300"
    return func.HttpResponse(file.read_bytes(), status_code=200, headers={
        **headers, "Content-Type": TYPES[file.suffix], "Cache-Control": cache})


bp = func.Blueprint(http_auth_level=func.AuthLevel.FUNCTION)


@bp.function_name("page")
@bp.route(route="page/{*path}", methods=["GET"])
def page(req: func.HttpRequest) -> func.HttpResponse:
    return serve(req.route_params.get("path") or "", Settings.from_env())
