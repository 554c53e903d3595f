"""Merging per-chunk segments into one transcript on the source timeline.

Chunks are cut in silence, so they do not overlap by design; the merge still guards against the
two ways a boundary can go wrong: a segment repeated on both sides (dropped once) and segments out
of order (sorted stably by start time, chunk order breaking ties).

Chunks of every audio track share the container's timeline, so the segments of all tracks are merged
in time order: a conversation split over two tracks reads as one. Two tracks can hear the same
voice (two microphones in one room): a segment that overlaps a segment of another track by at least
half of the shorter one and says nearly the same words (``ECHO_SIMILARITY`` of their word sequences)
is kept once, the more confident of the two (higher ``avg_logprob``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from shared.domain import Segment

_OVERLAP_TOLERANCE_S = 0.5
ECHO_SIMILARITY = 0.8
_LONGEST_SEGMENT_S = 30.0  # Whisper windows are at most 30 s: no overlap further back than this


@dataclass(frozen=True)
class ChunkSegments:
    index: int
    offset_s: float
    segments: tuple[Segment, ...]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _words(text: str) -> list[str]:
    """Lower-case words without punctuation: how two hearings of one voice are compared."""
    return re.sub(r"[^\w\s]", "", text.lower()).split()


def merge_chunks(chunks: Sequence[ChunkSegments]) -> list[Segment]:
    """Segments of every chunk (of every track) on the source timeline, in time order, boundary
    duplicates and cross-track echoes removed, order stable."""
    ordered: list[tuple[float, int, int, Segment]] = []
    for chunk in sorted(chunks, key=lambda c: c.index):
        for j, seg in enumerate(chunk.segments):
            s = seg.shifted(chunk.offset_s)
            ordered.append((s.start, chunk.index, j, s))
    ordered.sort(key=lambda t: (t[0], t[1], t[2]))
    merged: list[Segment] = []
    for _, _, _, seg in ordered:
        same_track = next((m for m in reversed(merged) if m.track == seg.track), None)
        if same_track is not None and _is_boundary_duplicate(same_track, seg):
            continue
        echo = _echo_of(seg, merged)
        if echo is None:
            merged.append(seg)
        elif seg.avg_logprob > merged[echo].avg_logprob:  # the clearer hearing wins; order kept
            del merged[echo]
            merged.append(seg)
    return merged


def _similar(a: list[str], b: list[str]) -> bool:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= ECHO_SIMILARITY


def _echo_of(seg: Segment, merged: list[Segment]) -> int | None:
    """Index of a kept segment of another track that says the same words at the same time."""
    words = _words(seg.text)
    for k in range(len(merged) - 1, -1, -1):
        m = merged[k]
        if m.start < seg.start - _LONGEST_SEGMENT_S:
            return None
        if m.track == seg.track:
            continue
        overlap = min(m.end, seg.end) - max(m.start, seg.start)
        shorter = min(m.end - m.start, seg.end - seg.start)
        if words and overlap > 0 and overlap >= 0.5 * shorter and _similar(_words(m.text), words):
            return k
    return None


def _is_boundary_duplicate(prev: Segment, seg: Segment) -> bool:
    """The same words decoded twice where two pieces of audio met."""
    overlaps = seg.start < prev.end - _OVERLAP_TOLERANCE_S or abs(seg.start - prev.start) < _OVERLAP_TOLERANCE_S
    return overlaps and _norm(seg.text) == _norm(prev.text)


def dominant_language(segments: Sequence[Segment], fallback: str) -> str:
    """The language spoken longest (ties broken alphabetically, for determinism)."""
    spoken: dict[str, float] = {}
    for s in segments:
        spoken[s.language] = spoken.get(s.language, 0.0) + max(0.0, s.end - s.start)
    if not spoken:
        return fallback
    return sorted(spoken.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def batches(n_items: int, batch_size: int) -> list[tuple[int, int]]:
    """``[start, end)`` index ranges covering ``n_items`` in batches of ``batch_size``."""
    return [(i, min(i + batch_size, n_items)) for i in range(0, n_items, batch_size)]
