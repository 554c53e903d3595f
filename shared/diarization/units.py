"""Short speech units for resegmentation: compact per-unit voice features, one chunk at a time (fan-out).

Every VAD speech region is split into equal units of about ``UNIT_S`` (0.25 s; a region shorter than
that is one unit). Per unit the chunk keeps what the merge needs to score it against a speaker model,
and nothing it could be heard from: the sufficient statistics of its loud frames' telephone-band
mel-cepstra (``timbre``: frame count, mean, covariance; frames within ``LOUD_DB`` of the chunk's
loudest) and its median log2 F0 (``prosody``; NaN when fewer than ``MIN_VOICED`` frames are voiced).
From the statistics the log-likelihood of the unit's frames under any Gaussian is exact
(``refine.unit_loglik``), so the merge can score units against speaker models without the audio.

Stored as float16 (``to_dict``): 1 + 12 + 78 statistics + 1 pitch = 92 values, 184 bytes per unit,
about 2.6 MB per hour of speech (3.5 MB as base64), beside the 256-d embeddings' 6.6 MB.
"""

from __future__ import annotations

import base64
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import prosody, timbre
from .timbre import N_CEPS, STATS

UNIT_S = 0.25
LOUD_DB = 40.0  # a frame this far below the chunk's loudest is not part of a unit's statistics
MIN_FRAMES = 5
MIN_VOICED = 5


@dataclass(frozen=True)
class SpeechUnits:
    """Units of one chunk (or of a whole recording after `concat`), time order. Row i: unit i.

    `stats` (n, STATS) float32: frames, mean cepstrum, covariance (upper triangle, per frame; not the
    scatter); frames 0 and NaN elsewhere when too few frames were loud. `pitch` (n,) float32 log2 F0."""

    starts: np.ndarray  # (n,) float64, seconds on the recording
    ends: np.ndarray  # (n,) float64
    stats: np.ndarray  # (n, STATS) float32
    pitch: np.ndarray  # (n,) float32

    @classmethod
    def empty(cls) -> SpeechUnits:
        return cls(np.zeros(0), np.zeros(0), np.zeros((0, STATS), np.float32), np.zeros(0, np.float32))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for a blob: times rounded to the millisecond, features as base64 float16."""
        feats = np.concatenate([self.stats, self.pitch[:, None]], axis=1).astype("<f2")
        return {"unit_starts": self.starts.round(3).tolist(), "unit_ends": self.ends.round(3).tolist(),
                "unit_features": base64.b64encode(feats.tobytes()).decode("ascii")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpeechUnits | None:
        """None for a blob written before units existed."""
        if "unit_features" not in d:
            return None
        feats = np.frombuffer(base64.b64decode(d["unit_features"]), dtype="<f2").reshape(-1, STATS + 1)
        feats = feats.astype(np.float32)
        return cls(np.asarray(d["unit_starts"], np.float64), np.asarray(d["unit_ends"], np.float64),
                   feats[:, :STATS], feats[:, STATS])

    @classmethod
    def concat(cls, parts: Sequence[SpeechUnits]) -> SpeechUnits:
        ordered = sorted(parts, key=lambda p: float(p.starts[0]) if p.starts.size else math.inf)
        if not ordered:
            return cls.empty()
        return cls(np.concatenate([p.starts for p in ordered]), np.concatenate([p.ends for p in ordered]),
                   np.concatenate([p.stats for p in ordered]).astype(np.float32),
                   np.concatenate([p.pitch for p in ordered]).astype(np.float32))


def plan_units(regions: np.ndarray, unit_s: float = UNIT_S) -> list[tuple[float, float]]:
    """(start, end) units splitting each region into equal parts of about `unit_s`."""
    out = []
    for s, e in regions:
        n = max(1, round((e - s) / unit_s))
        edges = s + (e - s) * np.arange(n + 1) / n
        out += [(float(a), float(b)) for a, b in itertools.pairwise(edges)]
    return out


def chunk_units(audio: np.ndarray, regions: np.ndarray, offset_s: float = 0.0, unit_s: float = UNIT_S,
                f0: np.ndarray | None = None, bands: tuple[np.ndarray, np.ndarray] | None = None) -> SpeechUnits:
    """Units of the speech `regions` (seconds relative to `audio`), on the recording's timeline; `f0`:
    ``prosody.frame_pitch(audio)`` and `bands`: ``timbre.frame_bands(audio)``, when the caller has them."""
    spans = plan_units(regions, unit_s)
    if not spans:
        return SpeechUnits.empty()
    bands_all, centre = timbre.frame_bands(audio) if bands is None else bands
    stats = np.full((len(spans), STATS), np.nan)
    stats[:, 0] = 0.0
    if bands_all.shape[0]:
        energy = bands_all.sum(axis=1)
        loud = energy > max(float(energy.max()), 1e-12) * 10 ** (-LOUD_DB / 10)
        ceps = np.log(np.maximum(bands_all, 1e-12)) @ timbre.dct().T
        for i, (s, e) in enumerate(spans):
            a, b = np.searchsorted(centre, [s, e])
            c = ceps[a:b][loud[a:b]]
            if c.shape[0] < MIN_FRAMES:
                continue
            mean = c.mean(axis=0)
            cov = (c - mean).T @ (c - mean) / c.shape[0]
            stats[i] = np.concatenate([[c.shape[0]], mean, cov[timbre.TRIU]])
    pitch = prosody.window_pitch(audio, list(spans), f0=f0, min_voiced=MIN_VOICED)
    starts = np.array([s for s, _ in spans]) + offset_s
    ends = np.array([e for _, e in spans]) + offset_s
    return SpeechUnits(starts, ends, stats.astype(np.float32), pitch.astype(np.float32))


__all__ = ["N_CEPS", "SpeechUnits", "chunk_units", "plan_units"]
