"""Resegmentation inside speech regions: speaker changes placed at a finer grain than the windows.

The 1.5 s embedding windows every 0.75 s place a change well when it falls at a pause, but a short
turn inside one speech region (an interjection of 0.5-1 s) is absorbed by the speaker around it.
After clustering, this pass re-labels the recording's short units (``units``, about 0.25 s) with a
hidden Markov model per speech region, in the manner of the classic Gaussian Viterbi
resegmentation on cepstra:

* **speaker models** from the clustered turns: per speaker, one full-covariance Gaussian over the
  telephone-band cepstra of its units' frames and one Gaussian over its units' pitch (semitones);
  a speaker with fewer than ``min_units`` measured units gets no model (its units keep the
  clustering's label on the prior alone);
* **per unit and speaker**: ``cepstral_weight`` × the log-likelihood of the unit's frames (exact,
  from their sufficient statistics; scaled down because neighbouring frames are not independent)
  + ``pitch_weight`` × the pitch log-likelihood + ``prior_weight`` when the clustering's turns gave
  the unit to that speaker (the embeddings' opinion);
* **Viterbi** inside each speech region with ``switch_penalty`` per change of speaker, so a change
  is only placed where the evidence over several units outweighs the penalty and the prior; runs of
  one speaker never leave a region (speech only). The models are estimated again from the new
  labels (``iterations``).

A unit without measured features (too few loud or voiced frames) is scored by the prior only. With
one speaker, without units (older blobs), or when the pass would leave a speaker the clustering found
without any unit (the count asked for, ``--speakers 3-4``, must stay met), the turns are returned
unchanged. Labels are renumbered in order of first appearance afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .timbre import N_CEPS, TRIU
from .types import SpeakerTurn, speaker_label
from .units import SpeechUnits

LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class RefineOptions:
    """Chosen on the development sets (fixed casts, random development casts, overlapped and quick
    exchanges, the pyannote sample; docs/benchmarks.md, issue 13): results are flat over switch_penalty
    6-15, prior_weight 0.5-1 and cepstral_weight 0.05-0.1; at 0.15 and above the cepstra start moving
    correct changes on clean dialogues."""

    enabled: bool = True
    cepstral_weight: float = 0.1
    pitch_weight: float = 1.0
    prior_weight: float = 1.0
    switch_penalty: float = 6.0
    iterations: int = 2
    min_units: int = 12
    pitch_floor_semitones: float = 1.0
    min_pitch_units: int = 8


@dataclass(frozen=True)
class _Model:
    mean: np.ndarray
    precision: np.ndarray
    logdet: float
    pitch_mean: float
    pitch_sd: float


def _full(cov_triu: np.ndarray) -> np.ndarray:
    m = np.zeros((N_CEPS, N_CEPS))
    m[TRIU] = cov_triu
    return m + np.triu(m, 1).T


def _model(stats: np.ndarray, pitch: np.ndarray, opts: RefineOptions) -> _Model | None:
    """The Gaussian of the frames behind `stats` rows, and of the pitches (semitones)."""
    ok = stats[:, 0] > 0
    if ok.sum() < opts.min_units:
        return None
    s = stats[ok].astype(np.float64)
    n, means = s[:, 0], s[:, 1 : 1 + N_CEPS]
    total = n.sum()
    mean = (n[:, None] * means).sum(0) / total
    dev = means - mean
    within = (n[:, None] * s[:, 1 + N_CEPS :]).sum(0)
    cov = (_full(within) + (n[:, None] * dev).T @ dev) / total
    cov += np.eye(N_CEPS) * 1e-4 * max(float(np.trace(cov)), 1e-12)
    _, logdet = np.linalg.slogdet(cov)
    p = pitch[np.isfinite(pitch)].astype(np.float64) * 12.0
    if p.size >= opts.min_pitch_units:
        pm, psd = float(np.median(p)), max(float(np.std(p)), opts.pitch_floor_semitones)
    else:
        pm, psd = float("nan"), float("nan")
    return _Model(mean, np.linalg.inv(cov), float(logdet), pm, psd)


def unit_loglik(stats: np.ndarray, mean: np.ndarray, precision: np.ndarray, logdet: float) -> np.ndarray:
    """(n,) log-likelihood of each unit's frames under N(mean, precision⁻¹), from their statistics
    (frames, mean, per-frame covariance); 0 for a unit without frames."""
    s = np.asarray(stats, np.float64)
    n = np.where(s[:, 0] > 0, s[:, 0], 0.0)
    dev = np.nan_to_num(s[:, 1 : 1 + N_CEPS] - mean)
    weights = precision[TRIU] * np.where(TRIU[0] == TRIU[1], 1.0, 2.0)  # tr(P C) over the upper triangle
    trace = np.nan_to_num(s[:, 1 + N_CEPS :]) @ weights
    maha = np.einsum("ij,jk,ik->i", dev, precision, dev)
    return -0.5 * n * (N_CEPS * LOG_2PI + logdet + trace + maha)


def _scores(units: SpeechUnits, labels: np.ndarray, k: int, prior: np.ndarray, opts: RefineOptions) -> np.ndarray:
    """(n, k) per-unit evidence for each speaker (see the module docstring)."""
    n = labels.size
    out = opts.prior_weight * (prior[:, None] == np.arange(k)[None, :])
    ceps = np.zeros((n, k))
    pitch = np.zeros((n, k))
    models = [_model(units.stats[labels == c], units.pitch[labels == c], opts) for c in range(k)]
    have = [m for m in models if m is not None]
    if len(have) < 2:
        return out
    semis = units.pitch.astype(np.float64) * 12.0
    for c, m in enumerate(models):
        if m is None:
            continue
        ceps[:, c] = unit_loglik(units.stats, m.mean, m.precision, m.logdet)
        if np.isfinite(m.pitch_mean):
            z = (semis - m.pitch_mean) / m.pitch_sd
            pitch[:, c] = np.nan_to_num(-0.5 * z * z - np.log(m.pitch_sd), nan=0.0)
    modelled = np.array([m is not None for m in models])
    voiced = np.array([m is not None and np.isfinite(m.pitch_mean) for m in models])
    # a speaker without a model gets the mean evidence of the others (neither for nor against it)
    ceps[:, ~modelled] = ceps[:, modelled].mean(axis=1, keepdims=True)
    if voiced.any():
        pitch[:, ~voiced] = pitch[:, voiced].mean(axis=1, keepdims=True)
    return out + opts.cepstral_weight * ceps + opts.pitch_weight * pitch


def viterbi(scores: np.ndarray, penalty: float) -> np.ndarray:
    """The label path maximising the summed scores minus `penalty` per change (ties: lower label)."""
    n, k = scores.shape
    if n == 0:
        return np.zeros(0, np.int64)
    best = scores[0].copy()
    back = np.zeros((n, k), np.int64)
    for t in range(1, n):
        stay = best
        j = int(np.argmax(best))
        move = best[j] - penalty
        back[t] = np.where(stay >= move, np.arange(k), j)
        best = np.maximum(stay, move) + scores[t]
    path = np.zeros(n, np.int64)
    path[-1] = int(np.argmax(best))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _index(turns: Sequence[SpeakerTurn], units: SpeechUnits) -> np.ndarray:
    """Each unit's speaker index from `turns` (the turn holding its centre, else the nearest)."""
    starts = np.array([t.start for t in turns])
    ends = np.array([t.end for t in turns])
    who = np.array([int(t.speaker[1:]) - 1 for t in turns])
    mid = (units.starts + units.ends) / 2
    dist = np.maximum(starts[None, :] - mid[:, None], 0) + np.maximum(mid[:, None] - ends[None, :], 0)
    return np.asarray(who[np.argmin(dist, axis=1)], np.int64)


def refine_turns(turns: Sequence[SpeakerTurn], units: SpeechUnits | None, regions: np.ndarray,
                 opts: RefineOptions = RefineOptions()) -> list[SpeakerTurn]:
    """`turns` re-placed unit by unit inside each speech region; see the module docstring."""
    speakers = {t.speaker for t in turns}
    if units is None or units.starts.size == 0 or len(speakers) < 2:
        return list(turns)
    k = max(int(s[1:]) for s in speakers)
    prior = _index(turns, units)
    labels = prior.copy()
    region_of = np.searchsorted(regions[:, 0], (units.starts + units.ends) / 2, side="right") - 1
    for _ in range(opts.iterations):
        scores = _scores(units, labels, k, prior, opts)
        new = labels.copy()
        for r in np.unique(region_of):
            idx = np.flatnonzero(region_of == r)
            new[idx] = viterbi(scores[idx], opts.switch_penalty)
        if np.array_equal(new, labels):
            break
        labels = new
    if np.unique(labels).size < len(speakers):
        return list(turns)  # never drops a speaker the clustering found (a count asked for stays met)
    order: dict[int, int] = {}  # labels again in order of first appearance
    for lab in labels:
        order.setdefault(int(lab), len(order))
    out: list[SpeakerTurn] = []
    for i in range(labels.size):
        spk = speaker_label(order[int(labels[i])])
        s, e = float(units.starts[i]), float(units.ends[i])
        if out and out[-1].speaker == spk and s - out[-1].end < 1e-6:
            out[-1] = SpeakerTurn(out[-1].start, e, spk)
        else:
            out.append(SpeakerTurn(s, e, spk))
    return out
