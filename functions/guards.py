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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

from functions.contracts import JobStep
from shared import blob_layout as layout
from shared.adapters.base import IntegrityError, VersionChanged
from shared.domain import Job
from shared.hashing import sha256_file
from shared.job_updates import load_job
from shared.services import get_services

S = TypeVar("S", bound=JobStep)
R = TypeVar("R")


class StaleAttempt(Exception):
    """The activity belongs to an attempt that is no longer current, or the job has finished."""


class SourceChanged(Exception):
    """The original is not the version the job was created for (raised as ``source.changed: ...``)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"source.changed: {message}")


def is_current(job: Job, p: JobStep) -> bool:
    """The job is still running the attempt ``p`` belongs to (payloads without one: any attempt)."""
    return not job.status.terminal and (p.attempt is None or p.attempt == job.attempt)


def if_current(p: JobStep, change: Callable[[Job], Job]) -> Callable[[Job], Job]:
    """``change`` for :func:`~shared.job_updates.mutate_job`, applied only while ``p``'s attempt is current
    (checked on the record being written, so a concurrent cancel is never overwritten)."""
    return lambda job: change(job) if is_current(job, p) else job


def current_attempt_only(fn: Callable[[S], R]) -> Callable[[S], R]:
    """Wrap an activity: refuse to run it for a stale attempt or a finished job."""

    @functools.wraps(fn)
    def activity(p: S) -> R:
        job = load_job(get_services().jobs, p.force_id, p.job_id)
        if not is_current(job, p):
            raise StaleAttempt(f"job.stale: attempt {p.attempt} is not current ({job.status.value}, "
                               f"attempt {job.attempt}); nothing done")
        return fn(p)

    return activity


def work_ref(p: JobStep, name: str) -> str:
    """``work/<job_id>/a<attempt>/<name>`` (:mod:`shared.blob_layout`)."""
    return layout.work_ref(p.job_id, p.attempt, name)


def chunk_ref(p: JobStep, index: int) -> str:
    """``chunks/<job_id>/a<attempt>/<index>.flac`` (:mod:`shared.blob_layout`)."""
    return layout.chunk_ref(p.job_id, p.attempt, index)


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
    with ExitStack() as stack:
        try:
            copy = stack.enter_context(get_services().blobs.open_local(
                job.source.ref, version_id=job.source.version_id, etag=job.source.etag))
        except VersionChanged:
            raise SourceChanged("the file was replaced or removed after the job was created") from None
        except IntegrityError:
            raise SourceChanged("the file's content does not match its recorded SHA-256") from None
        if copy.sha256 is not None:  # downloaded: hashed while reading, checked before any use
            _check_digest(job, copy.sha256)
        yield copy.path
        if copy.sha256 is None and job.source.sha256:  # read in place: hashed after use
            _check_digest(job, sha256_file(copy.path))
