"""Merging per-chunk segments into one transcript on the source timeline.

Chunks are cut in silence, so they do not overlap by design; the merge still guards against the
two ways a boundary can go wrong: a segment repeated on both sides (dropped once) and segments out
of order (sorted stably by start time, chunk order breaking ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.domain import Segment

_OVERLAP_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class ChunkSegments:
    index: int
    offset_s: float
    segments: tuple[Segment, ...]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def merge_chunks(chunks: Sequence[ChunkSegments]) -> list[Segment]:
    """Segments of every chunk on the source timeline, boundary duplicates removed, order stable."""
    ordered: list[tuple[float, int, int, Segment]] = []
    for chunk in sorted(chunks, key=lambda c: c.index):
        for j, seg in enumerate(chunk.segments):
            s = seg.shifted(chunk.offset_s)
            ordered.append((s.start, chunk.index, j, s))
    ordered.sort(key=lambda t: (t[0], t[1], t[2]))
    merged: list[Segment] = []
    for _, _, _, seg in ordered:
        if merged and _is_boundary_duplicate(merged[-1], seg):
            continue
        merged.append(seg)
    return merged


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
