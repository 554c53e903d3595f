"""Who may call the inference service: an Entra token for its app registration, or a shared secret.

* ``entra``: ``Authorization: Bearer <JWT>`` signed by the tenant's keys (RS256), ``aud`` one of the
  configured audiences (the app registration's application ID URI or client id), issued by the tenant,
  not expired; with ``allowed_callers`` set, its ``azp``/``appid``/``oid`` must be one of them (the
  Function App's managed identity).
* ``secret`` (local mode): ``Authorization: Bearer <secret>``, compared in constant time; the secret is
  read from a file, never from an environment variable.
* ``none``: no check (tests and a developer's laptop only; never set by the Bicep).
* ``deny``: nothing is configured, so every call is refused (fail closed).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("toex.serve.auth")

MODES = ("entra", "secret", "none", "deny")
CALLER_CLAIMS = ("azp", "appid", "oid")


class NotAuthorized(Exception):
    """The caller is not authenticated or not allowed (HTTP 401)."""


@dataclass(frozen=True)
class AuthSettings:
    mode: str = "deny"
    tenant_id: str = ""
    audiences: tuple[str, ...] = ()
    allowed_callers: tuple[str, ...] = ()
    secret: str = ""


def _jwks_resolver(tenant_id: str) -> Callable[[str], Any]:
    import jwt

    client = jwt.PyJWKClient(f"https://login.microsoftonline.com/{tenant_id}/discovery/v2.0/keys", cache_keys=True)
    return lambda token: client.get_signing_key_from_jwt(token).key


class CallerCheck:
    """``check(authorization header)`` → the caller's id, or :class:`NotAuthorized`."""

    def __init__(self, settings: AuthSettings, key_resolver: Callable[[str], Any] | None = None) -> None:
        if settings.mode not in MODES:
            raise ValueError(f"TOEX_SERVE_AUTH must be one of {', '.join(MODES)}")
        if settings.mode == "entra" and not (settings.tenant_id and settings.audiences):
            raise ValueError("entra authentication needs TOEX_SERVE_TENANT_ID and TOEX_SERVE_AUDIENCE")
        if settings.mode == "secret" and len(settings.secret) < 32:
            raise ValueError("the shared secret must be at least 32 characters")
        self.settings = settings
        self._resolver = key_resolver
        if settings.mode == "deny":
            log.error("no caller authentication configured (TOEX_SERVE_AUTH): every request is refused")

    def _bearer(self, header: str | None) -> str:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorized("a bearer token is required")
        return token.strip()

    def check(self, header: str | None) -> str:
        s = self.settings
        if s.mode == "none":
            return "anonymous"
        if s.mode == "deny":
            raise NotAuthorized("the service has no caller authentication configured")
        token = self._bearer(header)
        if s.mode == "secret":
            if not hmac.compare_digest(token.encode(), s.secret.encode()):
                raise NotAuthorized("invalid credentials")
            return "shared-secret"
        return self._check_jwt(token)

    def _check_jwt(self, token: str) -> str:
        import jwt

        s = self.settings
        resolver = self._resolver or _jwks_resolver(s.tenant_id)
        self._resolver = resolver
        issuers = [f"https://login.microsoftonline.com/{s.tenant_id}/v2.0", f"https://sts.windows.net/{s.tenant_id}/"]
        try:
            claims = jwt.decode(token, resolver(token), algorithms=["RS256"], audience=list(s.audiences),
                                issuer=issuers, options={"require": ["exp", "iat", "aud", "iss"]}, leeway=60)
        except Exception as e:  # any invalid token: say no, and log only the kind of failure
            log.warning("refused a token: %s", type(e).__name__)
            raise NotAuthorized("invalid token") from None
        if claims.get("tid", s.tenant_id) != s.tenant_id:
            raise NotAuthorized("token from another tenant")
        caller = next((str(claims[c]) for c in CALLER_CLAIMS if claims.get(c)), "")
        if s.allowed_callers and not {str(claims.get(c, "")) for c in CALLER_CLAIMS} & set(s.allowed_callers):
            raise NotAuthorized("this caller is not allowed")
        return caller or "entra"
