"""The one way time is written down: ISO-8601 in UTC, ending in ``Z`` (job records, events, blobs'
metadata, manifests, the local runner's history)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(when: datetime | None = None, *, timespec: str = "seconds") -> str:
    """``when`` (default: now) as ``YYYY-MM-DDTHH:MM:SSZ``; ``timespec`` as :meth:`datetime.isoformat`."""
    return (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_now() -> str:
    """Now, to the second."""
    return iso_utc()


def parse_iso(value: str) -> datetime:
    """An ISO-8601 timestamp (``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
