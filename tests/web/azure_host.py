"""A test stand-in for the page's Azure route: the gateway + App Service authentication + Entra ID.

One small HTTP server on 127.0.0.1 answers, as the real route would:

* the page's files and ``config.json`` through the Function App's own handler (``functions/azure/page.py``,
  with its CSP);
* ``/api/v1/*`` through the real handlers (``functions.api`` and ``functions.upload_sas``): the bearer
  token's claims become the ``X-MS-CLIENT-PRINCIPAL`` App Service authentication forwards (the test's
  tokens are unsigned, as Azurite's ``--oauth basic`` accepts; audience and lifetime are checked);
* ``/entra/<tenant>/oauth2/v2.0/authorize`` and ``/token``: an authorization server for the code flow
  with PKCE, which checks the verifier against the challenge (RFC 7636, S256, Python's hashlib) before it
  issues a token for :attr:`AzureHost.user`.

Blob requests do not come here: the page sends them to Azurite with the SAS the API issued.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import azure.functions as func

from functions import api, upload_sas
from functions.azure import page
from functions.local.web import API_ROUTES
from shared.services import Services
from tests.fixtures.serve import in_background
from tests.functions.helpers import encode_principal

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SCOPE = f"api://{CLIENT_ID}/Jobs.ReadWrite"
JWT_HEADER = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
ROUTES: list[tuple[str, re.Pattern[str], Any]] = [
    ("GET", re.compile(r"/api/v1/me"), upload_sas.who_am_i),
    ("POST", re.compile(r"/api/v1/uploads"), upload_sas.create_upload),
    ("GET", re.compile(r"/api/v1/uploads/(?P<upload_id>[^/]+)"), upload_sas.get_upload),
    ("POST", re.compile(r"/api/v1/uploads/(?P<upload_id>[^/]+)/renew"), upload_sas.renew_upload),
    *API_ROUTES,
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 4.2, S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass
class Officer:
    oid: str
    force: str
    name: str = "PC 1234"


@dataclass
class AzureHost:
    services: Services
    client: Any
    user: Officer | None = None
    port: int = 0
    api_calls: list[tuple[str, str, bool]] = field(default_factory=list)  # (method, path, had a bearer token)
    renewals: int = 0
    tokens_issued: int = 0
    last_token: str = ""
    grants: list[str] = field(default_factory=list)  # the token endpoint's grants, in order
    revoked: set[str] = field(default_factory=set)  # access tokens App Service authentication refuses (expired)
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)
    _refresh: dict[str, Officer] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The Function App's page settings (functions/azure/page.py) pointing at this Entra stand-in."""
        return {"TOEX_PAGE_AUTHORITY": f"{self.base}/entra", "TOEX_PAGE_TENANT_ID": TENANT,
                "TOEX_PAGE_CLIENT_ID": CLIENT_ID, "TOEX_PAGE_API_SCOPE": SCOPE}

    def access_token(self, who: Officer) -> str:
        now = int(time.time())
        claims = {"aud": f"api://{CLIENT_ID}", "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
                  "tid": TENANT, "oid": who.oid, "name": who.name, "scp": "Jobs.ReadWrite",
                  "extension_forceId": who.force, "iat": now, "nbf": now, "exp": now + 3600,
                  "uti": secrets.token_urlsafe(8)}  # each token its own, as Entra's are
        return f"{JWT_HEADER}.{b64url(json.dumps(claims).encode())}.x"


def _claims(authorization: str) -> dict[str, Any] | None:
    """The token's claims when it is one of ours and current (App Service authentication's part)."""
    if not authorization.startswith("Bearer "):
        return None
    try:
        payload = authorization.removeprefix("Bearer ").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    if claims.get("aud") != f"api://{CLIENT_ID}" or claims.get("exp", 0) < time.time():
        return None
    return dict(claims)


class _Handler(BaseHTTPRequestHandler):
    host: AzureHost

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, params = parts.path, dict(parse_qsl(parts.query))
        if path.startswith(f"/entra/{TENANT}/oauth2/v2.0/"):
            return self._entra(method, path.rsplit("/", 1)[1], params)
        if path.startswith("/api/"):
            return self._api(method, path, params)
        if method == "GET":  # the gateway publishes /api/page/{*path} at its root
            resp = page.serve(path, self.host.services.settings, self.host.env)
            return self._send(resp.status_code, resp.get_body(), dict(resp.headers))
        self._send(405)

    def _api(self, method: str, path: str, params: dict[str, str]) -> None:
        authorization = self.headers.get("Authorization") or ""
        self.host.api_calls.append((method, path, authorization.startswith("Bearer ")))
        claims = None if authorization.removeprefix("Bearer ") in self.host.revoked else _claims(authorization)
        if claims is None:  # App Service authentication: 401 without a valid token
            return self._send(401, b'{"title": "Unauthenticated"}',
                              {"Content-Type": "application/problem+json", "WWW-Authenticate": "Bearer"})
        principal = encode_principal({
            "http://schemas.microsoft.com/identity/claims/objectidentifier": claims["oid"], "name": claims["name"],
            "extension_forceId": claims["extension_forceId"]})
        for route_method, pattern, handler in ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                if handler is upload_sas.renew_upload:
                    self.host.renewals += 1
                body = self._body() if method != "GET" else b""
                req = func.HttpRequest(method, f"{self.host.base}{path}", params=params, body=body,
                                       route_params=match.groupdict(),
                                       headers={"X-MS-CLIENT-PRINCIPAL": principal, "Content-Type": "application/json"})
                resp = asyncio.run(api.guarded(handler, req, self.host.client, self.host.services))
                return self._send(resp.status_code, resp.get_body(),
                                  {"Content-Type": resp.mimetype or "application/json", "Cache-Control": "no-store"})
        self._send(404, b'{"title": "Not found"}', {"Content-Type": "application/problem+json"})

    def _entra(self, method: str, endpoint: str, params: dict[str, str]) -> None:
        host = self.host
        if endpoint == "authorize" and method == "GET":
            assert host.user is not None, "the test names who signs in"
            assert params["client_id"] == CLIENT_ID and params["response_type"] == "code"
            assert params["code_challenge_method"] == "S256" and SCOPE in params["scope"].split()
            code = secrets.token_urlsafe(16)
            host._codes[code] = {"challenge": params["code_challenge"], "redirect_uri": params["redirect_uri"]}
            query = urlencode({"code": code, "state": params["state"]})
            return self._send(302, headers={"Location": f"{params['redirect_uri']}?{query}"})
        if endpoint == "token" and method == "POST":
            form = dict(parse_qsl(self._body().decode()))
            who = host._refresh.pop(form.get("refresh_token", ""), None) \
                if form.get("grant_type") == "refresh_token" else None
            grant = host._codes.pop(form.get("code", ""), None) if form.get("grant_type") == "authorization_code" \
                else None
            if grant is not None and form.get("redirect_uri") == grant["redirect_uri"] and \
                    pkce_challenge(form.get("code_verifier", "")) == grant["challenge"]:
                who = host.user
            if who is None or form.get("client_id") != CLIENT_ID:
                return self._send(400, json.dumps({"error": "invalid_grant"}).encode(),
                                  {"Content-Type": "application/json"})
            host.tokens_issued += 1
            host.grants.append(form.get("grant_type", ""))
            refresh = secrets.token_urlsafe(24)
            host._refresh[refresh] = who
            host.last_token = host.access_token(who)
            body = {"token_type": "Bearer", "expires_in": 3600, "access_token": host.last_token,
                    "refresh_token": refresh}
            return self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        self._send(404)


@contextmanager
def serving(services: Services, client: Any) -> Iterator[AzureHost]:
    host = AzureHost(services, client)
    handler = type("Handler", (_Handler,), {"host": host})
    with in_background(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as port:
        host.port = port
        yield host
