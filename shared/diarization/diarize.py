"""Diarization of a whole recording from its chunks' speaker windows (the merge step)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .clustering import ClusteringOptions, SpeakerCount, cluster
from .embeddings import SpeakerWindows
from .resegment import ResegmentOptions, speaker_table, speaker_turns
from .types import SpeakerInfo, SpeakerTurn


@dataclass(frozen=True)
class Diarization:
    turns: list[SpeakerTurn]
    speakers: list[SpeakerInfo]
    regions: np.ndarray = field(repr=False)  # (r, 2) speech regions, seconds

    @property
    def count(self) -> int:
        return len(self.speakers)


def diarize(parts: Sequence[SpeakerWindows], count: SpeakerCount | None = None,
            clustering: ClusteringOptions | None = None, reseg: ResegmentOptions | None = None) -> Diarization:
    """One clustering over all chunks' windows → turns labelled S1, S2, ... by first appearance."""
    windows = SpeakerWindows.concat(parts)
    labels = cluster(windows.vectors, windows.starts, windows.durations, count or SpeakerCount(),
                     clustering or ClusteringOptions(), owned=windows.owned, pitch=windows.pitches,
                     timbre=windows.timbres)
    turns = speaker_turns(windows, labels, reseg or ResegmentOptions())
    return Diarization(turns, speaker_table(turns), windows.regions)
