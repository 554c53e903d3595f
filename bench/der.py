"""Diarization error rate and boundary timing (the benchmark's definitions).

DER follows NIST md-eval / pyannote.metrics with a forgiveness collar: time within ``collar``
seconds (0.25 s) of any reference turn boundary (either side of every start and end) is not
scored; overlapped reference speech is scored (every reference speaker in a frame counts). The
timeline is sampled every 10 ms. With R reference and H hypothesis speakers active in a frame,
and C of them matched under the one-to-one speaker mapping that maximises total matched time:
miss = max(0, R - H), false alarm = max(0, H - R), confusion = min(R, H) - C, and
DER = Σ(miss + false alarm + confusion) / Σ R over scored frames.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

STEP = 0.01


class Span(Protocol):
    @property
    def speaker(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


@dataclass(frozen=True)
class Der:
    der: float
    miss: float
    false_alarm: float
    confusion: float
    scored_s: float

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.__dict__.items()}


def _activity(turns: Sequence[Span], n: int) -> tuple[list[str], np.ndarray]:
    names = sorted({t.speaker for t in turns})
    act = np.zeros((len(names), n), bool)
    for t in turns:
        act[names.index(t.speaker), round(t.start / STEP) : round(t.end / STEP)] = True
    return names, act


def best_mapping(overlap: np.ndarray) -> list[tuple[int, int]]:
    """One-to-one (ref, hyp) pairs maximising the summed overlap (exhaustive up to 8, else greedy)."""
    nr, nh = overlap.shape
    if nr == 0 or nh == 0:
        return []
    if max(nr, nh) <= 8:
        best, pairs = -1.0, []
        if nr <= nh:
            for perm in itertools.permutations(range(nh), nr):
                s = float(sum(overlap[r, h] for r, h in enumerate(perm)))
                if s > best:
                    best, pairs = s, list(enumerate(perm))
        else:
            for perm in itertools.permutations(range(nr), nh):
                s = float(sum(overlap[r, h] for h, r in enumerate(perm)))
                if s > best:
                    best, pairs = s, [(r, h) for h, r in enumerate(perm)]
        return pairs
    pairs, used_r, used_h = [], set(), set()
    for flat in np.argsort(-overlap, axis=None):
        r, h = divmod(int(flat), nh)
        if r not in used_r and h not in used_h:
            pairs.append((r, h))
            used_r.add(r)
            used_h.add(h)
    return pairs


def der(reference: Sequence[Span], hypothesis: Sequence[Span], collar: float = 0.25) -> Der:
    end = max([t.end for t in reference] + [t.end for t in hypothesis] + [0.0])
    n = int(np.ceil(end / STEP)) + 1
    _, ref = _activity(reference, n)
    _, hyp = _activity(hypothesis, n)
    scored = np.ones(n, bool)
    c = round(collar / STEP)
    for t in reference:
        for b in (round(t.start / STEP), round(t.end / STEP)):
            scored[max(0, b - c) : b + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = ref.astype(np.float64) @ hyp.T.astype(np.float64)
    mapping = best_mapping(overlap)
    r_count, h_count = ref.sum(0), hyp.sum(0)
    correct = np.zeros(ref.shape[1])
    for r, h in mapping:
        correct += ref[r] & hyp[h]
    miss = np.maximum(0, r_count - h_count).sum()
    fa = np.maximum(0, h_count - r_count).sum()
    conf = (np.minimum(r_count, h_count) - correct).sum()
    total = max(float(r_count.sum()), 1e-9)
    return Der(float((miss + fa + conf) / total), float(miss / total), float(fa / total), float(conf / total),
               float(r_count.sum() * STEP))
