"""From labelled windows to speaker turns, and from turns to transcript segments with one speaker each.

Turns: inside each speech region, every 10 ms frame takes the speaker whose windows covering it
weigh most (each window weighs most at its centre, triangular); runs shorter than ``min_turn_s``
inside a region join the neighbour. A region too short to be embedded takes the speaker of the
nearest turn in time. Turns never extend outside speech regions.

Segments: each word takes the speaker of the turn it overlaps most (the nearest turn if it
overlaps none); a transcript segment is cut wherever consecutive words change speaker, so no
resulting segment spans two speakers. A new segment's start and end are its words' times, pulled
in to its own speaker's turns (alignment often stretches a word over the pause around it); the
first segment heard in a speech region then starts at the region's onset and the last one ends at
its offset, when within ``edge_snap_s`` (VAD edges are sharper than word times). Boundaries inside
a region (a change without a pause, or Whisper's own sentence breaks) keep the word times. Word
times are clipped to their segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shared.domain.transcript import Segment, Word

from .embeddings import SpeakerWindows
from .types import SpeakerInfo, SpeakerSegment, SpeakerTurn, speaker_label

STEP = 0.01


@dataclass(frozen=True)
class ResegmentOptions:
    min_turn_s: float = 0.4
    edge_snap_s: float = 1.0


def _smooth(labels: np.ndarray, min_len: int) -> np.ndarray:
    """Runs shorter than `min_len` frames take the label of the longer neighbour run."""
    labels = labels.copy()
    changed = True
    while changed:
        changed = False
        bounds = np.flatnonzero(np.diff(labels)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [labels.size]])
        if starts.size <= 1:
            break
        lengths = ends - starts
        k = int(np.argmin(lengths))
        if lengths[k] >= min_len:
            break
        left = lengths[k - 1] if k > 0 else -1
        right = lengths[k + 1] if k + 1 < starts.size else -1
        labels[starts[k] : ends[k]] = labels[starts[k] - 1] if left >= right else labels[ends[k]]
        changed = True
    return labels


def speaker_turns(windows: SpeakerWindows, labels: np.ndarray,
                  opts: ResegmentOptions = ResegmentOptions()) -> list[SpeakerTurn]:
    """Turns (time order) from windows labelled 0..k-1; see the module docstring."""
    k = int(labels.max()) + 1 if labels.size else 0
    raw: list[tuple[float, float, int]] = []
    unlabelled: list[tuple[float, float]] = []
    for r, (rs, re_) in enumerate(windows.regions):
        idx = np.flatnonzero(windows.region == r)
        if idx.size == 0 or k == 0:
            unlabelled.append((float(rs), float(re_)))
            continue
        n = max(1, round((re_ - rs) / STEP))
        t = rs + (np.arange(n) + 0.5) * STEP
        votes = np.zeros((k, n))
        for i in idx:
            s, e = windows.starts[i], windows.ends[i]
            half = max((e - s) / 2, STEP)
            w = np.clip(1 - np.abs(t - (s + e) / 2) / half, 0, None) + 1e-3 * ((t >= s) & (t < e))
            votes[labels[i]] += w
        frame = np.argmax(votes, axis=0)
        frame = _smooth(frame, round(opts.min_turn_s / STEP))
        cuts = np.flatnonzero(np.diff(frame)) + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [n]]), strict=True):
            raw.append((float(rs + a * STEP), float(min(re_, rs + b * STEP)), int(frame[a])))
    for s, e in unlabelled:
        if raw:
            mid = (s + e) / 2
            near = min(raw, key=lambda x: min(abs(mid - x[0]), abs(mid - x[1])))
            raw.append((s, e, near[2]))
    raw.sort()
    turns: list[SpeakerTurn] = []
    for s, e, lab in raw:
        spk = speaker_label(lab)
        if turns and turns[-1].speaker == spk and s - turns[-1].end < 1e-6:
            turns[-1] = SpeakerTurn(turns[-1].start, e, spk)
        else:
            turns.append(SpeakerTurn(s, e, spk))
    return turns


def speaker_table(turns: Sequence[SpeakerTurn]) -> list[SpeakerInfo]:
    """Speaking time and first appearance per speaker, in label order (S1, S2, ...)."""
    info: dict[str, list[float]] = {}
    for t in turns:
        row = info.setdefault(t.speaker, [0.0, t.start])
        row[0] += t.end - t.start
        row[1] = min(row[1], t.start)
    return [SpeakerInfo(s, v[0], v[1]) for s, v in sorted(info.items(), key=lambda kv: int(kv[0][1:]))]


def word_speaker(word: Word, turns: Sequence[SpeakerTurn]) -> str | None:
    """The speaker of the turn `word` overlaps most, else of the nearest turn."""
    if not turns:
        return None
    best, spk = 0.0, None
    for t in turns:
        ov = min(word.end, t.end) - max(word.start, t.start)
        if ov > best:
            best, spk = ov, t.speaker
    if spk is not None:
        return spk
    mid = (word.start + word.end) / 2
    return min(turns, key=lambda t: min(abs(mid - t.start), abs(mid - t.end))).speaker


def _clamp(start: float, end: float, spans: np.ndarray) -> tuple[float, float]:
    """[start, end] pulled in to the spans (sorted (n, 2)) it overlaps; unchanged if it overlaps none."""
    if not len(spans):
        return start, end
    hit = np.flatnonzero((spans[:, 1] > start) & (spans[:, 0] < end))
    if hit.size == 0:
        return start, end
    return max(start, float(spans[hit[0], 0])), min(end, float(spans[hit[-1], 1]))


def resegment(segments: Sequence[Segment], turns: Sequence[SpeakerTurn], regions: np.ndarray,
              opts: ResegmentOptions = ResegmentOptions()) -> list[SpeakerSegment]:
    """Transcript segments (with word times) cut at speaker changes; see the module docstring."""
    by_speaker: dict[str, np.ndarray] = {}
    for t in turns:
        by_speaker.setdefault(t.speaker, np.zeros((0, 2)))
        by_speaker[t.speaker] = np.vstack([by_speaker[t.speaker], [t.start, t.end]])
    pieces: list[tuple[float, float, str, list[Word], int]] = []
    for si, seg in enumerate(segments):
        words = list(seg.words or ())
        if not words:
            spk = word_speaker(Word(seg.start, seg.end, seg.text, 1.0), turns) or speaker_label(0)
            pieces.append((seg.start, seg.end, spk, [], si))
            continue
        speakers = [word_speaker(w, turns) or speaker_label(0) for w in words]
        a = 0
        for i in range(1, len(words) + 1):
            if i == len(words) or speakers[i] != speakers[a]:
                start, end = _clamp(words[a].start, words[i - 1].end, by_speaker.get(speakers[a], np.zeros((0, 2))))
                pieces.append((start, end, speakers[a], words[a:i], si))
                a = i
    # the first piece heard in a speech region starts at its onset, the last one ends at its offset
    starts = [p[0] for p in pieces]
    ends = [p[1] for p in pieces]
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for k, (s0, e0, *_rest) in enumerate(pieces):
        hit = np.flatnonzero((regions[:, 1] > s0) & (regions[:, 0] < e0)) if len(regions) else np.zeros(0, int)
        if hit.size:
            first.setdefault(int(hit[0]), k)
            last[int(hit[-1])] = k
    for r, k in first.items():
        if abs(starts[k] - regions[r, 0]) <= opts.edge_snap_s:
            starts[k] = float(regions[r, 0])
    for r, k in last.items():
        if abs(ends[k] - regions[r, 1]) <= opts.edge_snap_s:
            ends[k] = float(regions[r, 1])
    out: list[SpeakerSegment] = []
    for k, (_, _, spk, ws, si) in enumerate(pieces):
        start, end = round(starts[k], 3), round(ends[k], 3)
        if end <= start:
            start, end = round(pieces[k][0], 3), round(pieces[k][1], 3)
        if not ws:
            out.append(SpeakerSegment(start, end, segments[si].text.strip(), spk, (), si))
            continue
        ws = list(ws)
        ws[0] = Word(start, max(min(ws[0].end, end), start), ws[0].text, ws[0].probability)
        ws[-1] = Word(min(max(ws[-1].start, start), end), end, ws[-1].text, ws[-1].probability)
        ws = [Word(min(max(w.start, start), end), min(max(w.end, start), end), w.text, w.probability) for w in ws]
        out.append(SpeakerSegment(start, end, "".join(w.text for w in ws).strip(), spk, tuple(ws), si))
    return out
