"""Diarization of a whole recording from its chunks' speaker windows (the merge step)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .clustering import ClusteringOptions, SpeakerCount, cluster
from .embeddings import SpeakerWindows
from .overlap import Overlap, OverlapOptions, find_overlaps
from .refine import RefineOptions, refine_turns
from .resegment import ResegmentOptions, speaker_table, speaker_turns
from .types import SpeakerInfo, SpeakerTurn


@dataclass(frozen=True)
class Diarization:
    turns: list[SpeakerTurn]
    speakers: list[SpeakerInfo]
    regions: np.ndarray = field(repr=False)  # (r, 2) speech regions, seconds
    overlaps: list[Overlap] = field(default_factory=list)  # two speakers at once (``overlap``)

    @property
    def count(self) -> int:
        return len(self.speakers)


def diarize(parts: Sequence[SpeakerWindows], count: SpeakerCount | None = None,
            clustering: ClusteringOptions | None = None, reseg: ResegmentOptions | None = None,
            two_voice: np.ndarray | None = None, pauses: np.ndarray | None = None,
            overlap: OverlapOptions | None = None, refine: RefineOptions | None = None) -> Diarization:
    """One clustering over all chunks' windows → turns labelled S1, S2, ... by first appearance, then
    changes re-placed inside speech regions on the chunks' units (``refine``; skipped with
    ``RefineOptions(enabled=False)`` or on blobs without units). Overlaps are looked for at the
    clustering's changes, before that pass.
    With the chunks' `two_voice` stretches and `pauses` ((m, 2) seconds), overlaps at changes
    without a pause (``overlap``)."""
    windows = SpeakerWindows.concat(parts)
    labels = cluster(windows.vectors, windows.starts, windows.durations, count or SpeakerCount(),
                     clustering or ClusteringOptions(), owned=windows.owned, pitch=windows.pitches,
                     timbre=windows.timbres)
    coarse = speaker_turns(windows, labels, reseg or ResegmentOptions())
    refine = refine or RefineOptions()
    turns = refine_turns(coarse, windows.units, windows.regions, refine) if refine.enabled else coarse
    # an overlap needs a change the embeddings placed: the units' changes inside a region are not
    # evidence of two voices at once (on clean random casts they doubled the false overlaps)
    overlaps = [] if two_voice is None else find_overlaps(coarse, two_voice, pauses, overlap or OverlapOptions())
    return Diarization(turns, speaker_table(turns), windows.regions, overlaps)
