"""The access audit trail of a job: who viewed, downloaded, renamed, retried or cancelled it, and when.

Invariants: an entry names the user, the action, the UTC time and at most a short ``detail`` from the
code (a format, an attempt, an overlay version), never content (no transcript text, no speaker
names, no file names); entries are only ever added, never changed or removed, by every job store.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.clock import iso_utc

ACTIONS = ("view", "download", "rename", "retry", "cancel")
_DETAIL = re.compile(r"[\w.:=, -]{0,80}")


def _now_ms() -> str:
    return iso_utc(timespec="milliseconds")


@dataclass(frozen=True)
class AccessEntry:
    """One access to one job. ``at`` is ISO-8601 UTC to the millisecond (``...Z``)."""

    force_id: str
    job_id: str
    user: str
    action: str
    detail: str = ""
    at: str = field(default_factory=_now_ms)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown access action {self.action!r}; expected one of {ACTIONS}")
        if not self.user or not self.force_id or not self.job_id:
            raise ValueError("an access entry needs its force, job and user")
        if not _DETAIL.fullmatch(self.detail):
            raise ValueError("an access entry's detail is a short code-made note, not content")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AccessEntry:
        return cls(**{k: d[k] for k in ("force_id", "job_id", "user", "action", "detail", "at", "id")})
