"""Transcript value objects shared by the engine, the pipeline and the renderers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Task = Literal["transcribe", "translate"]


@dataclass(frozen=True)
class Word:
    """One word with its time span (seconds, on the source's timeline) and probability."""

    start: float
    end: float
    text: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(float(d["start"]), float(d["end"]), str(d["text"]), float(d["probability"]))


@dataclass(frozen=True)
class Segment:
    """One decoded segment. Times are seconds; the engine reports them relative to the audio it was given.

    ``track`` is the 1-based number of the audio track it was heard on (None: not known, e.g. straight
    from the engine before the pipeline tags it).
    """

    start: float
    end: float
    text: str
    language: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float = 0.0
    words: tuple[Word, ...] | None = None
    track: int | None = None

    def shifted(self, offset: float) -> Segment:
        """The same segment moved by ``offset`` seconds (chunk offset → source timeline)."""
        words = None if self.words is None else tuple(
            Word(round(w.start + offset, 3), round(w.end + offset, 3), w.text, w.probability) for w in self.words
        )
        return Segment(
            round(self.start + offset, 3), round(self.end + offset, 3), self.text, self.language,
            self.avg_logprob, self.no_speech_prob, self.compression_ratio, self.temperature, words, self.track,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["words"] = None if self.words is None else [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        words = d.get("words")
        return cls(
            start=float(d["start"]), end=float(d["end"]), text=str(d["text"]), language=str(d["language"]),
            avg_logprob=float(d["avg_logprob"]), no_speech_prob=float(d["no_speech_prob"]),
            compression_ratio=float(d["compression_ratio"]), temperature=float(d.get("temperature", 0.0)),
            words=None if words is None else tuple(Word.from_dict(w) for w in words),
            track=None if d.get("track") is None else int(d["track"]),
        )


@dataclass(frozen=True)
class TranscriptionOptions:
    """Every decoding option; recorded verbatim in ``transcript.json`` ``params``.

    Defaults are deterministic (temperature 0 only) and use faster-whisper's hallucination guards.
    """

    task: Task = "transcribe"
    language: str | None = None
    language_candidates: tuple[str, ...] | None = None
    beam_size: int = 5
    patience: float = 1.0
    length_penalty: float = 1.0
    temperatures: tuple[float, ...] = (0.0,)
    best_of: int = 5
    initial_prompt: str | None = None
    hotwords: str | None = None
    word_timestamps: bool = False
    suppress_blank: bool = True
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    max_new_tokens: int = 224
    batch_size: int = 8

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("language_candidates", "temperatures"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TranscriptionOptions:
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        for k in ("language_candidates", "temperatures"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        return cls(**kw)


@dataclass(frozen=True)
class LanguageDetection:
    """Language detected over a set of windows, with per-window top probabilities."""

    language: str
    probability: float
    per_window: tuple[dict[str, float], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TranscriptionResult:
    """Segments of some audio, and the speech windows whose text the hallucination guards refused.

    ``skipped`` holds ``(start, end, reason)`` per refused window, so a transcript can say where it
    is silent on purpose instead of leaving an unexplained gap.
    """

    language: str
    language_probability: float
    segments: tuple[Segment, ...]
    skipped: tuple[tuple[float, float, str], ...] = ()
