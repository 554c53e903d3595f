"""The small interfaces every storage, state and messaging adapter implements.

Nothing above this layer knows whether it runs on a laptop (file system, SQLite) or in Azure
(Blob Storage, Cosmos DB, Event Grid). Blob references are plain strings ``container/name`` so that
they can travel through orchestration history.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from shared.domain import Job, JobEvent, JobStatus, Notification, TranscriptionOptions, TranscriptionResult
from shared.domain.access import AccessEntry


class AdapterError(Exception):
    """Base class for adapter failures the pipeline handles explicitly."""


class BlobNotFound(AdapterError):
    pass


class BlobExists(AdapterError):
    """Refused to overwrite a blob (originals and results are write-once)."""


class IntegrityError(AdapterError):
    """Stored bytes do not match the checksum recorded when they were written."""


class VersionChanged(AdapterError):
    """The blob is no longer the version (ETag / version id) a job was created for."""


class JobExists(AdapterError):
    pass


class JobNotFound(AdapterError):
    pass


class ConcurrencyError(AdapterError):
    """Optimistic concurrency: the job changed since it was read (ETag mismatch)."""


def split_ref(ref: str) -> tuple[str, str]:
    """``"container/a/b.wav"`` → ``("container", "a/b.wav")``."""
    container, _, name = ref.partition("/")
    if not container or not name:
        raise ValueError(f"not a blob reference: {ref!r}")
    return container, name


@dataclass(frozen=True)
class BlobInfo:
    ref: str
    size: int
    etag: str
    content_md5: str | None = None
    sha256: str | None = None
    last_modified: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    version_id: str | None = None

    @property
    def container(self) -> str:
        return split_ref(self.ref)[0]

    @property
    def name(self) -> str:
        return split_ref(self.ref)[1]


class UploadsFiles:
    """``upload_file`` for any store with a streaming ``upload``: the file is never read whole."""

    def upload(self, ref: str, data: bytes | BinaryIO, *, overwrite: bool = False,
               content_type: str | None = None, metadata: dict[str, str] | None = None) -> BlobInfo:
        raise NotImplementedError

    def upload_file(self, ref: str, path: Path, *, overwrite: bool = False,
                    content_type: str | None = None, metadata: dict[str, str] | None = None) -> BlobInfo:
        with open(path, "rb") as f:
            return self.upload(ref, f, overwrite=overwrite, content_type=content_type, metadata=metadata)


@dataclass(frozen=True)
class LocalCopy:
    """A blob as a local file. ``sha256`` is the digest of the bytes a download wrote (checked against the
    blob's own claim); ``None`` for a file read in place, which the reader hashes after use."""

    path: Path
    sha256: str | None = None


@runtime_checkable
class BlobStore(Protocol):
    """Streamed blob storage, as the pipeline uses it. Writes never replace an existing blob unless
    ``overwrite`` is set."""

    def upload(self, ref: str, data: bytes | BinaryIO, *, overwrite: bool = False,
               content_type: str | None = None, metadata: dict[str, str] | None = None) -> BlobInfo: ...

    def download(self, ref: str) -> bytes: ...

    def properties(self, ref: str) -> BlobInfo: ...

    def open_local(self, ref: str, *, version_id: str | None = None,
                   etag: str | None = None) -> AbstractContextManager[LocalCopy]:
        """The blob as a local file for the ``with`` block: the file itself where the store keeps files
        (never altered), else a download of exactly that version (version id, else ETag) into a
        temporary file removed afterwards. :class:`VersionChanged` when that version is gone,
        :class:`IntegrityError` when the bytes do not match the blob's recorded checksum."""
        ...

    def read_link(self, ref: str, expires_in: timedelta) -> str:
        """A short-lived read-only link (user-delegation SAS in Azure, a file URI locally)."""
        ...


@runtime_checkable
class JobStore(Protocol):
    """Job records, partitioned by force. ``update`` is optimistic on ``job.etag``."""

    def create(self, job: Job) -> Job: ...

    def get(self, force_id: str, job_id: str) -> Job | None: ...

    def update(self, job: Job) -> Job: ...

    def list_jobs(self, force_id: str, *, status: JobStatus | None = None, limit: int = 50,
                  submitted_by: str | None = None) -> list[Job]:
        """A force's jobs, newest first; only those ``submitted_by`` submitted when given."""
        ...

    def add_notification(self, notification: Notification) -> None: ...

    def list_notifications(self, force_id: str, *, recipient: str | None = None,
                           limit: int = 50) -> list[Notification]: ...

    def add_access(self, entry: AccessEntry) -> None:
        """Append one entry to the job's access audit trail (append-only: nothing changes or removes one)."""
        ...

    def list_access(self, force_id: str, job_id: str, *, limit: int = 500) -> list[AccessEntry]:
        """The job's access audit trail, oldest first."""
        ...


@runtime_checkable
class EventPublisher(Protocol):
    def publish(self, event: JobEvent) -> None: ...


@runtime_checkable
class SpeechToText(Protocol):
    """Whisper behind an interface: in-process ONNX Runtime locally, the GPU service in Azure."""

    @property
    def model_info(self) -> dict[str, str]: ...

    def transcribe(self, audio_flac: bytes, windows: list[tuple[float, float]],
                   options: TranscriptionOptions) -> TranscriptionResult: ...


@runtime_checkable
class TextTranslator(Protocol):
    @property
    def model_info(self) -> dict[str, str]: ...

    def supports(self, source_language: str, target_language: str) -> bool: ...

    def translate(self, texts: list[str], source_language: str, target_language: str) -> list[str]: ...
