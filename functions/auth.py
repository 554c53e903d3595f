"""The caller's identity and force, from the principal App Service authentication forwards.

App Service authentication (Easy Auth, Entra ID provider, ``requireAuthentication`` on, unauthenticated
requests answered 401) validates the bearer token and forwards its claims to the app in the
``X-MS-CLIENT-PRINCIPAL`` header: base64 of ``{"auth_typ", "name_typ", "role_typ", "claims": [{"typ",
"val"}]}``. The platform strips any such header a client sends, so the header is only trusted because
authentication is enforced in front of the app (Bicep must keep it on).

The caller's force comes from, in order:

* a ``extension_forceId`` (or ``forceId``) claim: a directory extension attribute on the user, emitted
  into tokens by a claims-mapping policy;
* else an app role / group role named ``Force.<id>`` (roles claim), e.g. ``Force.met``.

A caller with no force, or with more than one distinct force, is refused (403): every call is scoped to
exactly one force.

Need to know: within the force, a caller sees the jobs they submitted; the app role
``Transcribe.ForceWide`` (assigned in Entra ID, carried in the token's ``roles`` claim; the local
server's ``:forcewide`` identities carry the same) opens every job of the caller's force. Another
force's job is never reachable, whatever the roles.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

PRINCIPAL_HEADER = "x-ms-client-principal"
FORCE_CLAIMS = ("extension_forceId", "forceId")
FORCE_ROLE_PREFIX = "Force."
ROLE_CLAIMS = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
OID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
FORCE_WIDE_ROLE = "Transcribe.ForceWide"  # every job of the caller's own force
USER_ROLE = "Transcribe.User"  # the caller's own jobs
NAME_CLAIMS = ("preferred_username", "name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn")


class Unauthenticated(Exception):
    """No (readable) principal: the request did not pass App Service authentication."""


class Forbidden(Exception):
    """An authenticated caller who is not scoped to exactly one force."""


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str | None
    force_id: str
    roles: tuple[str, ...] = ()

    @property
    def force_wide(self) -> bool:
        """Whether the caller may see every job of their force (not only their own)."""
        return FORCE_WIDE_ROLE in self.roles

    @property
    def display(self) -> str:
        """Who the caller is in audit entries and overlay history: the object id, with the name if any."""
        return f"{self.name} ({self.user_id})" if self.name and self.name != self.user_id else self.user_id


def _claims(header: str) -> tuple[list[tuple[str, str]], str | None]:
    try:
        raw = json.loads(base64.b64decode(header + "=" * (-len(header) % 4), validate=False))
    except (binascii.Error, ValueError) as e:
        raise Unauthenticated("unreadable client principal") from e
    if not isinstance(raw, dict) or not isinstance(raw.get("claims"), list):
        raise Unauthenticated("client principal without claims")
    claims = [(str(c.get("typ", "")), str(c.get("val", ""))) for c in raw["claims"] if isinstance(c, dict)]
    return claims, raw.get("role_typ")


def principal_from_headers(headers: Mapping[str, str], known_forces: tuple[str, ...] = ()) -> Principal:
    """The authenticated caller; raises :class:`Unauthenticated` or :class:`Forbidden`."""
    header = next((v for k, v in headers.items() if k.lower() == PRINCIPAL_HEADER), None)
    if not header:
        raise Unauthenticated("no client principal")
    claims, role_typ = _claims(header)
    role_types = {*ROLE_CLAIMS, *([role_typ] if role_typ else [])}
    roles = tuple(v for t, v in claims if t in role_types)
    forces = {v for t, v in claims if t in FORCE_CLAIMS and v}
    if not forces:
        forces = {r[len(FORCE_ROLE_PREFIX) :] for r in roles if r.startswith(FORCE_ROLE_PREFIX)} - {""}
    if len(forces) != 1:
        raise Forbidden("the caller must belong to exactly one force")
    force = forces.pop()
    if known_forces and force not in known_forces:
        raise Forbidden("the caller's force is not served by this deployment")
    user = next((v for t, v in claims if t in OID_CLAIMS and v), None)
    if not user:
        raise Unauthenticated("client principal without an object id")
    name = next((v for t, v in claims if t in NAME_CLAIMS and v), None)
    return Principal(user_id=user, name=name, force_id=force, roles=roles)


def encode_principal(claims: dict[str, str | list[str]], auth_typ: str = "aad") -> str:
    """The header value App Service would forward for these claims (local tools and tests)."""
    items = [{"typ": k, "val": v} for k, vals in claims.items() for v in ([vals] if isinstance(vals, str) else vals)]
    body = {"auth_typ": auth_typ, "name_typ": "name", "role_typ": "roles", "claims": items}
    return base64.b64encode(json.dumps(body).encode()).decode()
