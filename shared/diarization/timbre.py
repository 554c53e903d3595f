"""Spectral envelope per speaker window: the distribution of its frames' mel-cepstra (numpy only).

A second description of a voice beside the neural embedding: the vocal tract's resonances
(formants) shape the short-term spectrum, and the cepstrum is a smoothed log envelope of it. Only
300-3400 Hz is used, the telephone band, so a clean recording and a phone copy of it are described
alike. Frames of 25 ms every 10 ms; a frame counts when its energy is within ``LOUD_DB`` of the
window's loudest; coefficient 0 (loudness) is dropped.

A window keeps sufficient statistics of its frames, not the frames: ``STATS`` float32 values, the
frame count, the mean cepstrum and the scatter about that mean (upper triangle). Pooled over a
speaker's windows they give one Gaussian per speaker (full covariance). ``split_gain`` is the
log-likelihood gain per frame of two Gaussians over one for a pair of speakers: one voice split in
two gains little (its sounds vary alike on both sides), two voices gain more. The gain does not
change under any linear transform of the cepstra, so a recording's channel, band and level cancel.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

FRAME = 400  # 25 ms
HOP = 160  # 10 ms
N_FFT = 512
BAND_HZ = (300.0, 3400.0)
N_BANDS = 24
N_CEPS = 12  # coefficients 1..12
LOUD_DB = 30.0
MIN_FRAMES = 20
BLOCK = 2048  # frames per FFT batch (bounds memory on long chunks)
TRIU = np.triu_indices(N_CEPS)
STATS = 1 + N_CEPS + TRIU[0].size  # frames, mean, scatter


@lru_cache(maxsize=1)
def _filters() -> np.ndarray:
    """(N_BANDS, N_FFT // 2 + 1) triangular filters, equally spaced on the HTK mel scale in BAND_HZ."""
    lo, hi = (2595.0 * np.log10(1.0 + f / 700.0) for f in BAND_HZ)
    edges_mel = np.linspace(lo, hi, N_BANDS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    w = np.zeros((N_BANDS, freqs.size))
    for b in range(N_BANDS):
        lo, mid, hi = edges[b : b + 3]
        w[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return w


@lru_cache(maxsize=1)
def dct() -> np.ndarray:
    k = np.arange(1, N_CEPS + 1)[:, None]
    n = np.arange(N_BANDS)[None, :]
    return np.cos(np.pi * k * (n + 0.5) / N_BANDS)


def frame_bands(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bands (n, N_BANDS) mel band powers of every 25 ms frame every 10 ms, centre (n,) seconds)."""
    x = np.asarray(audio, np.float64)
    if x.size < FRAME:
        return np.zeros((0, N_BANDS)), np.zeros(0)
    n = 1 + (x.size - FRAME) // HOP
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, FRAME), strides=(x.strides[0] * HOP, x.strides[0]),
                                             writeable=False)
    hann = np.hanning(FRAME)
    bands = np.concatenate([(np.abs(np.fft.rfft(frames[k : k + BLOCK] * hann, n=N_FFT, axis=1)) ** 2)
                            @ _filters().T for k in range(0, n, BLOCK)])  # each frame once
    return bands, (np.arange(n) * HOP + FRAME / 2) / SAMPLE_RATE


def window_timbre(audio: np.ndarray, spans: list[tuple[float, float]], offset_s: float = 0.0,
                  bands: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(len(spans), STATS) float32: each (start, end) window's cepstral statistics (seconds on the
    recording; `audio` starts at `offset_s`); NaN rows where fewer than MIN_FRAMES frames are loud.
    `bands`: ``frame_bands(audio)`` when the caller has it already."""
    out = np.full((len(spans), STATS), np.nan)
    bands_all, centre = frame_bands(audio) if bands is None else bands
    centre = centre + offset_s
    for i, (s, e) in enumerate(spans):
        a, b = np.searchsorted(centre, [s, e])
        if b - a < MIN_FRAMES:
            continue
        win = bands_all[a:b]
        energy = win.sum(axis=1)
        loud = energy > energy.max() * 10 ** (-LOUD_DB / 10)
        if loud.sum() < MIN_FRAMES:
            continue
        ceps = np.log(np.maximum(win[loud], 1e-12)) @ dct().T
        mean = ceps.mean(axis=0)
        scatter = (ceps - mean).T @ (ceps - mean)
        out[i] = np.concatenate([[ceps.shape[0]], mean, scatter[TRIU]])
    return out.astype(np.float32)


def _gaussian(stats: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Frames, mean and covariance of the frames behind `stats` rows (float64)."""
    s = np.asarray(stats, np.float64)
    counts, means = s[:, 0], s[:, 1 : 1 + N_CEPS]
    total = counts.sum()
    mean = (counts[:, None] * means).sum(axis=0) / total
    scatter = np.zeros((N_CEPS, N_CEPS))
    scatter[TRIU] = s[:, 1 + N_CEPS :].sum(axis=0)
    scatter = scatter + np.triu(scatter, 1).T
    dev = means - mean
    cov = (scatter + (counts[:, None] * dev).T @ dev) / total
    return total, mean, cov + np.eye(N_CEPS) * 1e-6 * max(float(np.trace(cov)), 1e-12)


def split_gain(labels: np.ndarray, stats: np.ndarray, k: int, min_windows: int) -> np.ndarray:
    """(k, k): per-frame log-likelihood gain of one Gaussian per speaker over one for the pair together.
    NaN where either speaker has fewer than `min_windows` measured windows."""
    ok = np.isfinite(stats).all(axis=1)
    fits = []
    for c in range(k):
        rows = stats[(labels == c) & ok]
        fits.append(_gaussian(rows) if rows.shape[0] >= max(min_windows, 1) else None)
    out = np.full((k, k), np.nan)
    for a in range(k):
        for b in range(a + 1, k):
            fa, fb = fits[a], fits[b]
            if fa is None or fb is None:
                continue
            (na, ma, ca), (nb, mb, cb) = fa, fb
            n = na + nb
            mean = (na * ma + nb * mb) / n
            both = (na * (ca + np.outer(ma - mean, ma - mean)) + nb * (cb + np.outer(mb - mean, mb - mean))) / n
            logdet = [np.linalg.slogdet(c)[1] for c in (both, ca, cb)]
            out[a, b] = out[b, a] = 0.5 * (logdet[0] - (na * logdet[1] + nb * logdet[2]) / n)
    return out


def envelope_distance(labels: np.ndarray, stats: np.ndarray, k: int, min_windows: int) -> np.ndarray:
    """(k, k): mean over coefficients of the squared difference of two speakers' mean window cepstra, in
    units of their pooled between-window variance, after z-scoring over the recording (an effect size).
    NaN where either speaker has fewer than `min_windows` measured windows."""
    means = np.asarray(stats, np.float64)[:, 1 : 1 + N_CEPS]
    ok = np.isfinite(means).all(axis=1)
    out = np.full((k, k), np.nan)
    if ok.sum() < 2:
        return out
    z = (means - means[ok].mean(axis=0)) / np.maximum(means[ok].std(axis=0), 1e-9)
    mu, var, n = np.zeros((k, N_CEPS)), np.zeros((k, N_CEPS)), np.zeros(k)
    for c in range(k):
        rows = z[(labels == c) & ok]
        n[c] = rows.shape[0]
        if n[c] >= max(min_windows, 2):
            mu[c], var[c] = rows.mean(axis=0), rows.var(axis=0, ddof=1)
    for a in range(k):
        for b in range(a + 1, k):
            if n[a] >= max(min_windows, 2) and n[b] >= max(min_windows, 2):
                pooled = ((n[a] - 1) * var[a] + (n[b] - 1) * var[b]) / (n[a] + n[b] - 2)
                out[a, b] = out[b, a] = float(np.mean((mu[a] - mu[b]) ** 2 / np.maximum(pooled, 1e-9)))
    return out
