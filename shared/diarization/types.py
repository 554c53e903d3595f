"""Value objects of diarization: speaker turns, per-speaker table, resegmented transcript segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain.transcript import Word


def speaker_label(index: int) -> str:
    """0 → "S1", 1 → "S2", ... (order of first appearance)."""
    return f"S{index + 1}"


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of speech by one speaker (seconds on the recording's timeline)."""

    start: float
    end: float
    speaker: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "speaker": self.speaker}


@dataclass(frozen=True)
class SpeakerInfo:
    """One row of the per-recording speaker table."""

    speaker: str
    speaking_time: float
    first_appearance: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.speaker, "speaking_time": round(self.speaking_time, 3),
                "first_appearance": round(self.first_appearance, 3), "display_name": None}


@dataclass(frozen=True)
class SpeakerSegment:
    """A transcript segment after resegmentation: every word in it has the same speaker, or, when
    `overlap` names speakers (two or more, label order), the words were heard while they all spoke
    (`speaker` is then the single speaker it had before, kept for reference only)."""

    start: float
    end: float
    text: str
    speaker: str
    words: tuple[Word, ...]
    source_index: int  # the transcript segment it was cut from
    overlap: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        speaker = None if self.overlap else self.speaker
        d = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text,
             "speaker": speaker, "source_index": self.source_index,
             "words": [dict(w.to_dict(), speaker=speaker) for w in self.words]}
        if self.overlap:
            d.update(overlap=True, speakers=list(self.overlap))
        return d
