"""Helpers for the Functions app tests: the local host's Durable client over the local runner (the real
azure-functions-durable replay code, ``functions.local.client``), local services with an intake container,
HTTP requests."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func

from functions.auth import encode_principal
from functions.intake import BlobNotice
from functions.local.client import RunnerClient
from functions.local.runner import LocalOrchestrationRunner
from shared.services import Services
from shared.settings import Settings

ACCOUNT_URL = "https://evidence.blob.core.windows.net"


@dataclass
class Intake:
    """Local services (file blobs, SQLite jobs, JSONL events) installed for the activities, a runner and
    a client over it, and an ``incoming`` container addressed as ``ACCOUNT_URL/incoming/...``."""

    services: Services
    runner: LocalOrchestrationRunner
    client: RunnerClient

    def upload(self, name: str, data: bytes, metadata: dict[str, str] | None = None) -> BlobNotice:
        """Put ``data`` at ``incoming/<name>`` and return what a trigger would know about it."""
        ref = f"incoming/{name}"
        info = self.services.blobs.upload(ref, data, overwrite=True, metadata=metadata)
        return BlobNotice(url=f"{ACCOUNT_URL}/{ref}", size=info.size, etag=info.etag,
                          content_md5=hashlib.md5(data, usedforsecurity=False).hexdigest(), sha256=info.sha256,
                          metadata=dict(info.metadata))

    def run(self, instance_id: str) -> str:
        return self.runner.run(instance_id).status


def make_settings(data_dir: Path, **changes: Any) -> Settings:
    return Settings(mode="local", data_dir=data_dir, blob_account_url=ACCOUNT_URL, **changes)


def user_code(fn: Any) -> Any:
    """The decorated function itself, under the Durable client middleware (which builds a real client)."""
    code = fn.get_user_function()
    return getattr(code, "__wrapped__", code)


def principal_header(force: str | None = "met", oid: str = "00000000-0000-0000-0000-000000000001",
                     via: str = "claim", roles: tuple[str, ...] = ()) -> dict[str, str]:
    """The Easy Auth principal header; ``roles`` adds app roles (e.g. the force-wide role)."""
    claims: dict[str, str | list[str]] = {
        "http://schemas.microsoft.com/identity/claims/objectidentifier": oid, "name": "PC 1234"}
    if force and via == "claim":
        claims["extension_forceId"] = force
    elif force:
        claims["roles"] = [f"Force.{force}", "Transcribe.User"]
    if roles:
        claims["roles"] = [*claims.get("roles", []), *roles]
    return {"X-MS-CLIENT-PRINCIPAL": encode_principal(claims)}


def http_request(method: str, route: str, *, headers: dict[str, str] | None = None, body: Any = None,
                 params: dict[str, str] | None = None, route_params: dict[str, str] | None = None) -> func.HttpRequest:
    data = b"" if body is None else json.dumps(body).encode()
    return func.HttpRequest(method, f"https://app.example/api/{route}", headers=headers or {}, params=params or {},
                            route_params=route_params or {}, body=data)

