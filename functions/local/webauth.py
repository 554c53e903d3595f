"""Who is calling the local web server, and whether the request may reach it at all.

Invariants:

* Every request's ``Host`` must name this server (``127.0.0.1``/``localhost``/``[::1]`` or the bound
  host, with its port): a DNS-rebinding page on another name is refused before anything else runs.
* A request that carries ``Origin`` must come from this server's own origin, and every request that
  changes something (any method but GET/HEAD) must carry it; ``Sec-Fetch-Site: cross-site`` is refused.
* The caller is an :class:`Identity` named by its per-launch token: in the URL printed at start
  (``?token=``, exchanged once for an ``HttpOnly; SameSite=Strict`` cookie and dropped from the URL),
  or ``Authorization: Bearer`` for scripts. The page never holds the token in script or storage.
* Read links (outputs, the original media) are signed, short-lived and bound to the identity they were
  issued to (its force and user: a colleague's link opens nothing, as need to know asks): the local
  stand-in for a user-delegation SAS.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

from functions.auth import FORCE_WIDE_ROLE, USER_ROLE, encode_principal

COOKIE = "toex_session"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
__all__ = ["COOKIE", "FORCE_WIDE_ROLE", "USER_ROLE", "Gate", "Identity", "Refused"]


@dataclass(frozen=True)
class Identity:
    """A test or laptop identity: the principal App Service would forward for a signed-in officer."""

    force_id: str
    user_id: str
    role: str = USER_ROLE
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @classmethod
    def parse(cls, spec: str) -> Identity:
        """``force:user[:forcewide]``, e.g. ``met:pc1234`` or ``kent:sgt9:forcewide``."""
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(p and p.replace("-", "").replace("_", "").isalnum() for p in parts):
            raise ValueError(f"an identity is force:user[:forcewide], got {spec!r}")
        if len(parts) == 3 and parts[2] != "forcewide":
            raise ValueError(f"the only role suffix is ':forcewide', got {parts[2]!r}")
        return cls(parts[0], parts[1], FORCE_WIDE_ROLE if len(parts) == 3 else USER_ROLE)

    def principal_header(self) -> str:
        return encode_principal({
            "http://schemas.microsoft.com/identity/claims/objectidentifier": self.user_id,
            "name": self.user_id, "extension_forceId": self.force_id, "roles": [self.role]})


class Refused(Exception):
    """A request refused before it reaches a handler: ``status`` and a short reason (no request data)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class Gate:
    """Host, Origin and token checks, and signed read links, for one launch of the server."""

    def __init__(self, identities: list[Identity], host: str, port: int, link_minutes: int = 60) -> None:
        if not identities:
            raise ValueError("at least one identity")
        self.identities = identities
        self.port = port
        names = {*LOCAL_HOSTS, host if ":" not in host else f"[{host}]"}
        self.hosts = {f"{h}:{port}" for h in names}
        self.origins = {f"http://{h}" for h in self.hosts}
        self._key = secrets.token_bytes(32)
        self.link_seconds = link_minutes * 60

    # -- the request's way in -------------------------------------------------------------------
    def check_site(self, method: str, headers: Mapping[str, str]) -> None:
        if headers.get("host", "").lower() not in self.hosts:
            raise Refused(421, "unknown host")
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            raise Refused(403, "cross-site request")
        if headers.get("sec-fetch-site") == "cross-site":
            raise Refused(403, "cross-site request")
        if method not in ("GET", "HEAD") and origin is None:
            raise Refused(403, "a request that changes something must carry Origin")

    def by_token(self, token: str | None) -> Identity | None:
        if not token:
            return None
        return next((i for i in self.identities if hmac.compare_digest(i.token, token)), None)

    def identify(self, headers: Mapping[str, str]) -> Identity:
        """The caller by session cookie or bearer token; raises :class:`Refused` (401)."""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            found = self.by_token(auth[7:].strip())
            if found:
                return found
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # an unreadable cookie header is the same as none
            cookie = SimpleCookie()
        value = cookie[COOKIE].value if COOKIE in cookie else ""
        found = next((i for i in self.identities if value and hmac.compare_digest(i.session, value)), None)
        if found is None:
            raise Refused(401, "open the link printed at start (it carries the token)")
        return found

    @staticmethod
    def session_cookie(identity: Identity) -> str:
        return f"{COOKIE}={identity.session}; HttpOnly; SameSite=Strict; Path=/"

    # -- signed read links ----------------------------------------------------------------------
    def _sign(self, identity: Identity, ref: str, expires: int, filename: str) -> str:
        msg = "\n".join((identity.force_id, identity.user_id, ref, str(expires), filename)).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def read_link(self, identity: Identity, ref: str, filename: str) -> str:
        expires = int(time.time()) + self.link_seconds
        query = urlencode({"se": expires, "fn": filename, "sig": self._sign(identity, ref, expires, filename)})
        return f"/blob/{quote(ref)}?{query}"

    def check_link(self, identity: Identity, ref: str, params: Mapping[str, str]) -> str:
        """The file name a valid link was issued with; raises :class:`Refused` (403)."""
        try:
            expires = int(params.get("se", ""))
        except ValueError:
            raise Refused(403, "not a valid link") from None
        filename = params.get("fn", "")
        expected = self._sign(identity, ref, expires, filename)
        if not hmac.compare_digest(expected, params.get("sig", "")) or expires < time.time():
            raise Refused(403, "the link is not valid (or has expired): reload the job")
        return filename
