"""Overlapped speech: two voices at once where two speakers meet, marked instead of given to one.

An overlap needs two cues that agree (a false overlap on clean speech is worse than a missed one):

* **a speaker change without a pause**: two turns of different speakers that touch inside one
  speech region (the diarization VAD ends a region at a 0.2 s pause, so a change at a pause is an
  ordinary turn change and never an overlap; a monologue has no change, so never an overlap), and
  no shorter pause either (``pause_min_s``, 0.1 s without a loud frame) within ``pause_near_s``
  (0.5 s) of the change: the VAD's padding can keep a 0.3 s pause inside one region;
* **two-voice frames near that change**: one voice is periodic, so delaying it by its own period
  cancels it; two voices at different pitches cannot both be cancelled by one delay. Per 10 ms
  frame (40 ms, loud frames only: within 30 dB of the chunk's loudest) the normalised cancellation
  residual ``d' = min_T sum (x[n] - x[n+T])^2 / (sum x[n]^2 + sum x[n+T]^2)`` over periods of
  60-400 Hz is 0 for a perfectly periodic frame and about 1 for noise; its running median over
  ``smooth_s`` (0.2 s) is compared with ``two_voice_d`` (0.3; ``OverlapOptions``). Consonants are
  aperiodic too, so this cue alone marks much clean speech: it is used only where the first holds.

Per chunk (``overlap_cues``, fan-out, with the audio): the stretches of loud speech whose smoothed
residual reaches the threshold, and the short pauses, as times on the recording (no audio leaves
the chunk).
In the merge (``find_overlaps``): at every change without a pause, the two-voice stretches within
``near_s`` (0.3 s) of the change point form the overlap, clipped to ``max_s`` (0.8 s) either side
of it and to the two turns, kept when at least ``min_s`` (0.2 s) long. Its speakers are the two
turns' speakers, in label order. ``mark_overlaps`` then cuts the resegmented transcript so that
the words whose middle lies in an overlap form their own segment, carrying both speakers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.domain.transcript import Word

from .prosody import F0_MAX, F0_MIN, FRAME, HOP, LOUD_DB  # the pitch tracker's frames and period range
from .types import SpeakerSegment, SpeakerTurn

BLOCK = 1024


@dataclass(frozen=True)
class OverlapOptions:
    two_voice_d: float = 0.3  # smoothed cancellation residual at or above which a frame holds two voices
    smooth_s: float = 0.2
    near_s: float = 0.3  # a two-voice stretch this close to a change point belongs to it
    max_s: float = 0.8  # an overlap reaches at most this far from its change point
    min_s: float = 0.2
    pause_min_s: float = 0.1  # a run this long without a loud frame is a pause
    pause_near_s: float = 0.5  # a change with a pause this close is an ordinary turn change


@dataclass(frozen=True)
class Overlap:
    """Two (or more) speakers at once over [start, end] (seconds on the recording)."""

    start: float
    end: float
    speakers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "speakers": list(self.speakers)}


def cancellation_residual(audio: np.ndarray) -> np.ndarray:
    """d' of every 10 ms frame (frame j starts at sample j * HOP); NaN where the frame is not loud."""
    x = np.asarray(audio, np.float64)
    lo, hi = int(SAMPLE_RATE / F0_MAX), int(SAMPLE_RATE / F0_MIN)
    span = FRAME + hi
    if x.size < span:
        return np.full(0, np.nan)
    n = 1 + (x.size - span) // HOP
    nfft = 1 << int(np.ceil(np.log2(span + FRAME)))
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    out = np.empty(n)
    lags = np.arange(lo, hi + 1)
    for k in range(0, n, BLOCK):
        starts = np.arange(k, min(n, k + BLOCK)) * HOP
        seg = x[starts[:, None] + np.arange(span)[None, :]]
        a = np.fft.rfft(seg[:, :FRAME], nfft, axis=1)
        b = np.fft.rfft(seg, nfft, axis=1)
        cross = np.fft.irfft(np.conj(a) * b, nfft, axis=1)[:, lo : hi + 1]  # sum_j x[j] x[j + T]
        e0 = csum[starts + FRAME] - csum[starts]
        et = csum[starts[:, None] + lags[None, :] + FRAME] - csum[starts[:, None] + lags[None, :]]
        denom = np.maximum(e0[:, None] + et, 1e-12)
        out[k : k + starts.size] = ((e0[:, None] + et - 2 * cross) / denom).min(axis=1)
    energy = csum[np.arange(n) * HOP + FRAME] - csum[np.arange(n) * HOP]
    loud = energy > max(float(energy.max()), 1e-12) * 10 ** (-LOUD_DB / 10)
    return np.where(loud, out, np.nan)


def _running_median(v: np.ndarray, width: int) -> np.ndarray:
    """Median of the finite values within ±width/2 frames (NaN where fewer than a third are finite)."""
    half = max(1, width // 2)
    padded = np.pad(v, half, constant_values=np.nan)
    win = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)[: v.size]
    finite = np.isfinite(win).sum(axis=1)
    with np.errstate(all="ignore"):
        med = np.nanmedian(np.where(finite[:, None] > 0, win, 0.0), axis=1)
    return np.where(finite * 3 >= 2 * half + 1, med, np.nan)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def overlap_cues(audio: np.ndarray, regions: np.ndarray, offset_s: float = 0.0,
                 opts: OverlapOptions = OverlapOptions()) -> tuple[np.ndarray, np.ndarray]:
    """(two_voice, pauses), each (m, 2) seconds on the recording, inside the speech `regions`
    (relative to `audio`): the stretches where the smoothed cancellation residual reaches
    ``opts.two_voice_d``, and the pauses, runs of at least ``opts.pause_min_s`` without a loud frame
    (a pause shorter than the VAD's 0.2 s stays inside a region)."""
    d = cancellation_residual(audio)
    if d.size == 0 or not len(regions):
        return np.zeros((0, 2)), np.zeros((0, 2))
    smooth = _running_median(d, round(opts.smooth_s * SAMPLE_RATE / HOP))
    centre = (np.arange(d.size) * HOP + FRAME / 2) / SAMPLE_RATE
    inside = np.zeros(d.size, bool)
    for s, e in regions:
        inside |= (centre >= s) & (centre < e)
    step = HOP / SAMPLE_RATE

    def spans(mask: np.ndarray, min_frames: int = 1) -> np.ndarray:
        out = [(float(centre[a] - step / 2) + offset_s, float(centre[b - 1] + step / 2) + offset_s)
               for a, b in _runs(mask) if b - a >= min_frames]
        return np.array(out, np.float64).reshape(-1, 2).round(3)

    two_voice = spans(inside & (np.nan_to_num(smooth, nan=0.0) >= opts.two_voice_d))
    return two_voice, spans(inside & ~np.isfinite(d), round(opts.pause_min_s / step))


def two_voice_stretches(audio: np.ndarray, regions: np.ndarray, offset_s: float = 0.0,
                        opts: OverlapOptions = OverlapOptions()) -> np.ndarray:
    """The two-voice stretches of ``overlap_cues``."""
    return overlap_cues(audio, regions, offset_s, opts)[0]


def find_overlaps(turns: Sequence[SpeakerTurn], two_voice: np.ndarray, pauses: np.ndarray | None = None,
                  opts: OverlapOptions = OverlapOptions()) -> list[Overlap]:
    """Overlaps at the changes without a pause (time order); see the module docstring."""
    out: list[Overlap] = []
    quiet = np.zeros((0, 2)) if pauses is None else pauses
    for a, b in itertools.pairwise(turns):
        if a.speaker == b.speaker or b.start - a.end > 1e-6:
            continue
        c = a.end
        if any(e >= c - opts.pause_near_s and s <= c + opts.pause_near_s for s, e in quiet):
            continue
        near = [(s, e) for s, e in two_voice if e >= c - opts.near_s and s <= c + opts.near_s]
        if not near:
            continue
        start = max(min(s for s, _ in near), c - opts.max_s, a.start)
        end = min(max(e for _, e in near), c + opts.max_s, b.end)
        if end - start >= opts.min_s:
            speakers = tuple(sorted((a.speaker, b.speaker), key=lambda s: int(s[1:])))
            out.append(Overlap(float(start), float(end), speakers))
    return out


def overlap_turns(overlaps: Sequence[Overlap]) -> list[SpeakerTurn]:
    """Every speaker of every overlap as a turn over it (added to the single-speaker turns, the
    timeline holds both voices there)."""
    return [SpeakerTurn(o.start, o.end, s) for o in overlaps for s in o.speakers]


def mark_overlaps(pieces: Sequence[SpeakerSegment], overlaps: Sequence[Overlap]) -> list[SpeakerSegment]:
    """`pieces` with the words whose middle lies in an overlap cut out into their own segments
    (``overlap`` = the overlap's speakers). The neighbours' times are pulled back to the overlap
    segment's, so segments stay in time order without overlapping each other."""
    if not overlaps:
        return list(pieces)
    out: list[SpeakerSegment] = []
    for p in pieces:
        if not p.words:
            out.append(p)
            continue
        tags = [_overlap_of(w, overlaps) for w in p.words]
        if all(t is None for t in tags):
            out.append(p)
            continue
        runs: list[tuple[int, int]] = []
        a = 0
        for i in range(1, len(tags) + 1):
            if i == len(tags) or tags[i] is not tags[a]:
                runs.append((a, i))
                a = i
        cut: list[SpeakerSegment] = []
        for a, b in runs:
            ws = p.words[a:b]
            ov = tags[a]
            if ov is None:
                start, end = (p.start if a == 0 else ws[0].start), (p.end if b == len(tags) else ws[-1].end)
                cut.append(replace(p, start=start, end=end, words=ws, text=_text(ws)))
            else:
                start = p.start if a == 0 else max(p.start, min(ov.start, ws[0].start))
                end = p.end if b == len(tags) else min(p.end, max(ov.end, ws[-1].end))
                cut.append(replace(p, start=start, end=end, words=ws, text=_text(ws), overlap=ov.speakers))
        for k in range(1, len(cut)):
            prev, cur = cut[k - 1], cut[k]
            edge = cur.start if cur.overlap else prev.end
            cut[k - 1] = replace(prev, end=max(prev.start, min(prev.end, edge)))
            cut[k] = replace(cur, start=min(cur.end, max(cur.start, edge)))
        out += [replace(c, start=round(c.start, 3), end=round(c.end, 3), words=_clip(c.words, c.start, c.end))
                for c in cut]
    return out


def _overlap_of(w: Word, overlaps: Sequence[Overlap]) -> Overlap | None:
    mid = (w.start + w.end) / 2
    return next((o for o in overlaps if o.start <= mid < o.end), None)


def _text(ws: Sequence[Word]) -> str:
    return "".join(w.text for w in ws).strip()


def _clip(ws: Sequence[Word], start: float, end: float) -> tuple[Word, ...]:
    return tuple(Word(round(min(max(w.start, start), end), 3), round(min(max(w.end, start), end), 3), w.text,
                      w.probability) for w in ws)
