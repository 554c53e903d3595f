"""The job record: one evidence file going through the pipeline."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from shared.clock import utc_now


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def job_id_for(source_url: str, content_tag: str) -> str:
    """Deterministic job (and orchestration instance) id from a blob's identity and content.

    ``content_tag`` is the blob's SHA-256 where known, else its ETag; the same file delivered twice
    (a duplicate Event Grid delivery or an identical re-upload to the same name) maps to one job.
    """
    digest = hashlib.sha256(f"{source_url}\n{content_tag}".encode()).hexdigest()
    return f"job-{digest[:32]}"


@dataclass(frozen=True)
class JobError:
    code: str
    message: str


@dataclass(frozen=True)
class SourceRef:
    """Where the original lives. ``ref`` is a blob reference ``container/name``; never altered.

    ``etag`` and ``version_id`` pin the version the job was created for: every read asks for that
    version, and ``sha256`` (the uploader's claim until the first read verifies it) must match.
    """

    ref: str
    name: str
    size_bytes: int | None = None
    etag: str | None = None
    sha256: str | None = None
    url: str | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class Progress:
    stage: str = "queued"
    chunks_total: int = 0
    chunks_done: int = 0

    @property
    def percent(self) -> int:
        order = ["queued", "probing", "planning", "transcribing", "merging", "diarizing",
                 "translating", "rendering", "storing", "notifying", "done"]
        base = order.index(self.stage) if self.stage in order else 0
        pct = base * 100 // (len(order) - 1)
        if self.stage == "transcribing" and self.chunks_total:
            step = 100 // (len(order) - 1)
            pct += step * self.chunks_done // self.chunks_total
        return min(pct, 100)


@dataclass(frozen=True)
class Job:
    job_id: str
    force_id: str
    source: SourceRef
    status: JobStatus = JobStatus.QUEUED
    progress: Progress = field(default_factory=Progress)
    options: dict[str, Any] = field(default_factory=dict)
    submitted_by: str | None = None
    error: JobError | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    attempt: int = 1
    etag: str | None = None

    @property
    def instance_id(self) -> str:
        """The orchestration instance of the current attempt: ``<job_id>``, then ``<job_id>:a<n>``."""
        return self.job_id if self.attempt <= 1 else f"{self.job_id}:a{self.attempt}"

    def orchestration_input(self) -> dict[str, Any]:
        """What an attempt's orchestration (and each of its activities) carries: ids and the attempt."""
        return {"job_id": self.job_id, "force_id": self.force_id, "attempt": self.attempt}

    def with_changes(self, **changes: Any) -> Job:
        return replace(self, updated_at=utc_now(), **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        d["progress"]["percent"] = self.progress.percent
        d.pop("etag")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], etag: str | None = None) -> Job:
        prog = dict(d.get("progress") or {})
        prog.pop("percent", None)
        err = d.get("error")
        return cls(
            job_id=d["job_id"], force_id=d["force_id"], source=SourceRef(**d["source"]),
            status=JobStatus(d.get("status", "queued")), progress=Progress(**prog),
            options=dict(d.get("options") or {}), submitted_by=d.get("submitted_by"),
            error=JobError(**err) if err else None, outputs=dict(d.get("outputs") or {}),
            summary=dict(d.get("summary") or {}), created_at=d.get("created_at", utc_now()),
            updated_at=d.get("updated_at", utc_now()), attempt=int(d.get("attempt", 1)), etag=etag,
        )


@dataclass(frozen=True)
class Notification:
    """A record officers' tools read: what happened to a job (never transcript text)."""

    force_id: str
    job_id: str
    kind: str
    recipient: str | None
    message: str
    links: dict[str, str] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now)
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["id"] = self.id or f"{self.job_id}:{self.kind}"
        return d


@dataclass(frozen=True)
class JobEvent:
    """A CloudEvent about a job: ``uk.police.toex.job.completed|failed|progress``."""

    type: str
    subject: str
    data: dict[str, Any]
    id: str = ""
