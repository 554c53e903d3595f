"""The plan of a recording, as it passes between the pipeline's steps: its chunks and their Whisper windows,
and what planning found on each track. Plain data with a JSON round trip (``to_dict`` / ``from_dict``), so
only references and numbers go through orchestration history, never audio.

Invariants: a chunk's windows are (start, end) seconds relative to its ``start_s``, and cover speech only;
``owners`` is empty unless the chunk mixes a conversation of several tracks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.media.tracks import Track


@dataclass(frozen=True)
class PlannedChunk:
    index: int
    ref: str
    start_s: float  # offset on the source timeline
    end_s: float
    windows: tuple[tuple[float, float], ...]  # relative to start_s
    track: int = 1  # Track.number of the audio it was cut from (the first of a conversation's tracks)
    # a conversation mixed from several tracks: who owns the audio, (start, end, track) relative to start_s
    owners: tuple[tuple[float, float, int], ...] = ()

    @property
    def tracks(self) -> tuple[int, ...]:
        """The tracks heard in this chunk."""
        return tuple(sorted({t for _, _, t in self.owners})) if self.owners else (self.track,)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "ref": self.ref,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "windows": [list(w) for w in self.windows],
            "track": self.track,
        }
        if self.owners:
            d["owners"] = [list(o) for o in self.owners]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlannedChunk:
        return cls(
            index=int(d["index"]),
            ref=str(d["ref"]),
            start_s=float(d["start_s"]),
            end_s=float(d["end_s"]),
            windows=tuple((float(a), float(b)) for a, b in d["windows"]),
            track=int(d.get("track", 1)),
            owners=tuple((float(a), float(b), int(t)) for a, b, t in d.get("owners", ())),
        )


@dataclass(frozen=True)
class TrackPlan:
    """What planning found on one track: its speech (padded) and its length on the timeline."""

    track: Track
    speech_s: float
    duration_s: float
    chunks: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.track.to_dict(), "speech_s": self.speech_s, "duration_s": self.duration_s, "chunks": self.chunks}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrackPlan:
        return cls(Track.from_dict(d), float(d["speech_s"]), float(d["duration_s"]), int(d["chunks"]))


@dataclass(frozen=True)
class ChunkPlan:
    chunks: tuple[PlannedChunk, ...]
    speech_s: float  # total length of the speech pieces (padded), all tracks
    duration_s: float  # decoded length of the source: the longest track on the timeline
    skipped_packets: int = 0  # corrupt packets skipped while decoding
    tracks: tuple[TrackPlan, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunks": [c.to_dict() for c in self.chunks],
            "speech_s": self.speech_s,
            "duration_s": self.duration_s,
            "skipped_packets": self.skipped_packets,
            "tracks": [t.to_dict() for t in self.tracks],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChunkPlan:
        return cls(
            chunks=tuple(PlannedChunk.from_dict(c) for c in d["chunks"]),
            speech_s=float(d["speech_s"]),
            duration_s=float(d["duration_s"]),
            skipped_packets=int(d.get("skipped_packets", 0)),
            tracks=tuple(TrackPlan.from_dict(t) for t in d.get("tracks", ())),
        )
