"""What keeps an attempt's activities in their lane, and the source pinned to its intake version.

Invariants (issue 10, findings 4 and 7):

* Every activity payload carries the ``attempt`` its orchestration was started for. An activity of an
  old attempt (its orchestration terminated by a cancel or replaced by a retry) or of a finished job does
  no work (:func:`current_attempt_only` raises :class:`StaleAttempt`) and never changes the job's status
  (:func:`if_current` leaves the record as it is).
* Work files and chunks live under ``<container>/<job_id>/a<attempt>/``, so two attempts never share a
  file.
* The original is read at the version recorded at intake, and its bytes must hash to the SHA-256 the
  job holds (the uploader's claim until the first read, then the verified digest), compared
  case-insensitively; otherwise the job fails as ``source.changed``.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.adapters.base import IntegrityError, VersionChanged
from shared.domain import Job
from shared.hashing import sha256_file
from shared.job_updates import load_job
from shared.services import CHUNKS, WORK, get_services


class StaleAttempt(Exception):
    """The activity belongs to an attempt that is no longer current, or the job has finished."""


class SourceChanged(Exception):
    """The original is not the version the job was created for (raised as ``source.changed: ...``)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"source.changed: {message}")


def payload_attempt(p: dict[str, Any]) -> int | None:
    value = p.get("attempt")
    return int(value) if value is not None else None


def is_current(job: Job, p: dict[str, Any]) -> bool:
    """The job is still running the attempt ``p`` belongs to (payloads without one: any attempt)."""
    attempt = payload_attempt(p)
    return not job.status.terminal and (attempt is None or attempt == job.attempt)


def if_current(p: dict[str, Any], change: Callable[[Job], Job]) -> Callable[[Job], Job]:
    """``change`` for :func:`~shared.job_updates.mutate_job`, applied only while ``p``'s attempt is current
    (checked on the record being written, so a concurrent cancel is never overwritten)."""
    return lambda job: change(job) if is_current(job, p) else job


def current_attempt_only(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """Wrap an activity: refuse to run it for a stale attempt or a finished job."""

    @functools.wraps(fn)
    def activity(p: dict[str, Any]) -> Any:
        job = load_job(get_services().jobs, p["force_id"], p["job_id"])
        if not is_current(job, p):
            raise StaleAttempt(f"job.stale: attempt {p.get('attempt')} is not current ({job.status.value}, "
                               f"attempt {job.attempt}); nothing done")
        return fn(p)

    return activity


def _attempt_dir(p: dict[str, Any]) -> str:
    return f"{p['job_id']}/a{payload_attempt(p) or 1}"


def work_ref(p: dict[str, Any], name: str) -> str:
    """``work/<job_id>/a<attempt>/<name>``."""
    return f"{WORK}/{_attempt_dir(p)}/{name}"


def chunk_ref(p: dict[str, Any], index: int) -> str:
    """``chunks/<job_id>/a<attempt>/<index>.flac``."""
    return f"{CHUNKS}/{_attempt_dir(p)}/{index:05d}.flac"


def _check_digest(job: Job, actual: str) -> None:
    expected = (job.source.sha256 or "").strip().lower()
    if expected and actual.lower() != expected:
        raise SourceChanged("the file's content is not the content this job was created for")


@contextmanager
def pinned_source(job: Job) -> Iterator[Path]:
    """The original as a local file, at the version the job was created for.

    A store that reads in place yields the file and hashes it afterwards (once the job holds a digest);
    a remote store downloads exactly the recorded version (version id, else ETag) and hashes while reading.
    """
    blobs = get_services().blobs
    local = getattr(blobs, "local_path", None)
    if local is not None:
        path = Path(local(job.source.ref))
        yield path
        if job.source.sha256:
            _check_digest(job, sha256_file(path))
        return
    with tempfile.TemporaryDirectory(prefix="toex-src-") as tmp:
        path = Path(tmp) / "source"
        pinned = getattr(blobs, "download_pinned", None)
        try:
            if pinned is not None:
                info = pinned(job.source.ref, path, version_id=job.source.version_id, etag=job.source.etag)
            else:
                info = blobs.download_to_file(job.source.ref, path)
        except VersionChanged:
            raise SourceChanged("the file was replaced or removed after the job was created") from None
        except IntegrityError:
            raise SourceChanged("the file's content does not match its recorded SHA-256") from None
        _check_digest(job, info.sha256 or "")
        yield path
