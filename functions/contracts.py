"""What the orchestrator and its activities pass each other: one frozen dataclass per input and output.

Invariants:

* On the wire (activity inputs, results, hence the orchestration history) every contract is a plain JSON
  object (:meth:`Contract.to_dict`), never a Python class envelope: the history does not depend on where a
  class lives, and the SDK's strict typing checks each result is an object (``expected_type=dict``).
* Contracts carry ids, blob references, counts, languages and model summaries only. Evidence content
  (audio, transcript or document text) travels through blobs, so it never enters the history.
* Every activity input is a :class:`JobStep`: it carries the job, its force and the attempt its
  orchestration was started for (the guards refuse an old attempt's work).
"""

from __future__ import annotations

import functools
import os
import typing
from dataclasses import dataclass, field, fields
from typing import Any, Self

TRANSCRIBE, TRANSLATE = "transcribe", "translate"  # Whisper's two tasks
MEDIA, DOCUMENT = "media", "document"  # what a job's source is (JobStarted.kind)
STRICT_TYPING = "AZURE_FUNCTIONS_DURABLE_STRICT_TYPING"


def use_strict_typing() -> None:
    """The Durable SDK's strict typing for this process: every result is decoded against the type the
    orchestrator expects (a JSON object, or null), and class envelopes are refused."""
    os.environ[STRICT_TYPING] = "1"


@typing.dataclass_transform(frozen_default=True, kw_only_default=True)
class Contract:
    """A frozen, keyword-only dataclass of JSON values, nested contracts and tuples (every subclass is
    made one), with ``to_dict``/``from_dict``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True, kw_only=True)(cls)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The contract from its JSON object; unknown keys are ignored, a missing required one is a
        ``ValueError``."""
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        hints = _hints(cls)  # type: ignore[arg-type]
        values = {f.name: _typed(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}  # type: ignore[arg-type]
        try:
            return cls(**values)
        except TypeError as e:
            raise ValueError(f"{cls.__name__}: {e}") from None


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _plain(value: Any) -> Any:
    if isinstance(value, Contract):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    """``value`` from JSON as ``hint`` wants it: nested contracts built, lists made tuples."""
    if value is None:
        return None
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, Contract) and isinstance(value, dict):
            return option.from_dict(value)
        if typing.get_origin(option) is tuple and isinstance(value, list):
            return tuple(value)
    return value


_UnionType = type(int | None)


# -- shared parts --------------------------------------------------------------------------------------
class ErrorInfo(Contract):
    """A failed job's reason: a dotted code (``media.not_media``) and a short message without content."""

    code: str
    message: str


class Rejected(Contract):
    """An activity's answer when retrying cannot help (undecodable media): the job fails at once."""

    error: ErrorInfo


class JobStep(Contract):
    """Every activity's input, and the orchestration's own: the job and the attempt it belongs to."""

    job_id: str
    force_id: str
    attempt: int | None = None

    def ids(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "force_id": self.force_id, "attempt": self.attempt}


# -- inputs --------------------------------------------------------------------------------------------
class TranscribeChunk(JobStep):
    plan_ref: str
    index: int
    task: str = TRANSCRIBE


class MergeTranscript(JobStep):
    refs: tuple[str, ...]
    task: str = TRANSCRIBE


class DiarizeChunk(JobStep):
    plan_ref: str
    index: int


class Diarize(JobStep):
    merged_ref: str
    refs: tuple[str, ...]  # every chunk's SpeakerWindows.ref, in chunk order


class PlanTranslation(JobStep):
    language: str
    merged_ref: str
    plan_ref: str


class TranslateBatch(JobStep):
    translation_plan_ref: str
    part: int


class MergeTranslation(JobStep):
    translation_plan_ref: str
    refs: tuple[str, ...]


class RenderOutputs(JobStep):
    merged_ref: str
    translation_ref: str | None
    model: dict[str, Any]
    duration_s: float
    format: str | None
    speech_s: float | None


class PersistResults(JobStep):
    outputs: dict[str, str]
    summary: dict[str, Any]
    notes: tuple[str, ...] = ()


class FailJob(JobStep):
    error: ErrorInfo


class TranslateDocumentBatch(JobStep):
    plan_ref: str
    part: int


class AssembleDocument(JobStep):
    plan_ref: str
    refs: tuple[str, ...]


# -- outputs -------------------------------------------------------------------------------------------
class JobStarted(Contract):
    attempt: int
    kind: str = MEDIA  # DOCUMENT: the source is a document, translated by the document steps


class DocumentPlanned(Contract):
    plan_ref: str
    batches: int
    units: int


class DocumentBatchTranslated(Contract):
    ref: str
    sentences: int


class MediaProbed(Contract):
    sha256: str
    duration_s: float
    format: str
    tracks: int


class ChunksPlanned(Contract):
    plan_ref: str
    chunks: int
    speech_s: float
    tracks: int
    speakers: str | None = None  # the job's speaker count ("auto", "3", "2-4"), or None: not diarized


class ChunkTranscribed(Contract):
    ref: str
    segments: int
    language: str | None


class TranscriptMerged(Contract):
    ref: str
    segments: int
    language: str
    model: dict[str, Any]


class SpeakerWindows(Contract):
    ref: str
    windows: int
    regions: int


class TranscriptDiarized(TranscriptMerged):
    """The merged transcript cut at speaker changes and labelled; ``ref`` replaces the merged one."""

    speaker_count: int


class TranslationRoute(Contract):
    """The translation's route (``None``: no translation, with the reason when one was asked for)."""

    route: str | None
    reason: str | None = None
    target: str | None = None
    model: dict[str, Any] | None = None
    translation_plan_ref: str | None = None
    parts: int = 0


class BatchTranslated(Contract):
    ref: str
    passages: int
    withheld: int


class TranslationMerged(Contract):
    ref: str
    segments: int
    skipped: int


class AudioRendered(Contract):
    """How the page plays the media (``playback`` for the job's summary): the original, or the audio
    rendition's blob reference and SHA-256; never audio."""

    playback: dict[str, Any]


class Rendered(Contract):
    outputs: dict[str, str]
    summary: dict[str, Any] = field(default_factory=dict)


class JobOutcome(Contract):
    """The orchestration's output."""

    status: str
    outputs: dict[str, str] | None = None
    error: ErrorInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in super().to_dict().items() if v is not None}
