"""Spectral envelope per speaker window: mean mel-cepstrum of its loud frames (numpy only).

A second description of a voice beside the neural embedding: the vocal tract's resonances
(formants) shape the short-term spectrum, and the mean cepstrum over a window is a smoothed
long-term average of that envelope. Only 300-3400 Hz is used, the telephone band, so a clean
recording and a phone copy of it are described alike. Frames of 25 ms every 10 ms; a frame counts
when its energy is within ``LOUD_DB`` of the window's loudest. Coefficient 0 (loudness) is dropped.
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


@lru_cache(maxsize=1)
def _filters() -> np.ndarray:
    """(N_BANDS, N_FFT // 2 + 1) triangular filters, equally spaced on the HTK mel scale in BAND_HZ."""
    mel = lambda f: 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)  # noqa: E731
    edges = 700.0 * (10 ** (np.linspace(mel(BAND_HZ[0]), mel(BAND_HZ[1]), N_BANDS + 2) / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    w = np.zeros((N_BANDS, freqs.size))
    for b in range(N_BANDS):
        lo, mid, hi = edges[b : b + 3]
        w[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return w


@lru_cache(maxsize=1)
def _dct() -> np.ndarray:
    k = np.arange(1, N_CEPS + 1)[:, None]
    n = np.arange(N_BANDS)[None, :]
    return np.cos(np.pi * k * (n + 0.5) / N_BANDS)


def window_timbre(audio: np.ndarray, spans: list[tuple[float, float]], offset_s: float = 0.0) -> np.ndarray:
    """(len(spans), N_CEPS) float32: each (start, end) window's mean cepstrum (seconds on the
    recording; `audio` starts at `offset_s`); NaN rows where fewer than MIN_FRAMES frames are loud."""
    x = np.asarray(audio, np.float64)
    out = np.full((len(spans), N_CEPS), np.nan)
    if x.size < FRAME:
        return out.astype(np.float32)
    n = 1 + (x.size - FRAME) // HOP
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, FRAME), strides=(x.strides[0] * HOP, x.strides[0]),
                                             writeable=False)
    hann = np.hanning(FRAME)
    centre = (np.arange(n) * HOP + FRAME / 2) / SAMPLE_RATE + offset_s

    for i, (s, e) in enumerate(spans):
        a, b = np.searchsorted(centre, [s, e])
        if b - a < MIN_FRAMES:
            continue
        power = np.abs(np.fft.rfft(frames[a:b] * hann, n=N_FFT, axis=1)) ** 2
        bands = power @ _filters().T
        energy = bands.sum(axis=1)
        loud = (energy > energy.max() * 10 ** (-LOUD_DB / 10))
        if loud.sum() < MIN_FRAMES:
            continue
        ceps = np.log(np.maximum(bands[loud], 1e-12)) @ _dct().T
        out[i] = ceps.mean(axis=0)
    return out.astype(np.float32)


def normalised(timbre: np.ndarray) -> np.ndarray:
    """`timbre` z-scored per coefficient over the recording's measured windows (the channel and the
    recording's level shape the cepstrum too; only differences between its voices should count)."""
    t = np.asarray(timbre, np.float64)
    ok = np.isfinite(t).all(axis=1)
    if ok.sum() < 2:
        return np.full_like(t, np.nan)
    return (t - t[ok].mean(axis=0)) / np.maximum(t[ok].std(axis=0), 1e-9)


def timbre_distance(labels: np.ndarray, z: np.ndarray, k: int, min_windows: int) -> np.ndarray:
    """(k, k): mean over coefficients of the squared difference of two speakers' mean cepstra, in units
    of their pooled within-speaker variance (an effect size: it does not grow with the number of
    windows). NaN where either speaker has fewer than `min_windows` measured windows."""
    ok = np.isfinite(z).all(axis=1)
    means = np.full((k, z.shape[1]), np.nan)
    var = np.full((k, z.shape[1]), np.nan)
    n = np.zeros(k)
    for c in range(k):
        rows = z[(labels == c) & ok]
        n[c] = rows.shape[0]
        if n[c] >= max(min_windows, 2):
            means[c], var[c] = rows.mean(axis=0), rows.var(axis=0, ddof=1)
    out = np.full((k, k), np.nan)
    for a in range(k):
        for b in range(a + 1, k):
            if np.isfinite(means[a, 0]) and np.isfinite(means[b, 0]):
                pooled = ((n[a] - 1) * var[a] + (n[b] - 1) * var[b]) / (n[a] + n[b] - 2)
                out[a, b] = out[b, a] = float(np.mean((means[a] - means[b]) ** 2 / np.maximum(pooled, 1e-9)))
    return out
