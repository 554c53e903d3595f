"""Voice pitch per speaker window: a plain normalised-autocorrelation F0 tracker (numpy only).

Frames of 40 ms every 10 ms; a frame is voiced when its normalised autocorrelation peak within
60-400 Hz (the range of adult voices) reaches ``VOICED_PEAK`` and its energy is within 30 dB of
the chunk's loudest frame. The shortest lag whose peak is within 10 % of the highest is taken
(multiples of the period peak as high). The lag is refined by parabolic interpolation. A window's pitch is
the median log2-F0 of its voiced frames (NaN when fewer than ``MIN_VOICED`` frames are voiced).
Band-limited (phone) audio still works: the autocorrelation peaks at the period even when the
fundamental itself is filtered out.

Pitch is evidence about the speaker that the embedding does not weigh much: two voices of the
same timbre but a different register. Within one speaker it moves with intonation, so the
clustering uses it only as a distribution over many windows, never per window.
"""

from __future__ import annotations

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

FRAME = 640  # 40 ms
HOP = 160  # 10 ms
F0_MIN, F0_MAX = 60.0, 400.0
LOUD_DB = 30.0  # a frame this far below the chunk's loudest is not analysed
VOICED_PEAK = 0.5
MIN_VOICED = 10
OCTAVE_TOLERANCE = 0.9


BLOCK = 2048  # frames per FFT batch (bounds memory on long chunks)


def frame_pitch(audio: np.ndarray) -> np.ndarray:
    """log2 F0 per 10 ms frame of 16 kHz mono audio (NaN where unvoiced)."""
    x = np.asarray(audio, np.float64)
    if x.size < FRAME:
        return np.full(0, np.nan)
    n = 1 + (x.size - FRAME) // HOP
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, FRAME), strides=(x.strides[0] * HOP, x.strides[0]),
                                             writeable=False)
    energy = np.concatenate([((f - f.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
                             for f in (frames[k : k + BLOCK] for k in range(0, n, BLOCK))])
    floor = energy.max() * 10 ** (-LOUD_DB / 10)
    return np.concatenate([_block_pitch(frames[k : k + BLOCK], energy[k : k + BLOCK], floor)
                           for k in range(0, n, BLOCK)])


def _block_pitch(frames: np.ndarray, energy: np.ndarray, floor: float) -> np.ndarray:
    n = frames.shape[0]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(frames, n=2 * FRAME, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :FRAME]
    lo, hi = int(SAMPLE_RATE / F0_MAX), int(SAMPLE_RATE / F0_MIN)
    # normalise by the energy of the overlapping parts so long lags are not penalised
    lags = np.arange(FRAME)
    norm = ac / np.maximum(ac[:, :1], 1e-12) * (FRAME / (FRAME - lags))[None, :]
    band = norm[:, lo : hi + 1]
    # the shortest lag whose local peak comes within OCTAVE_TOLERANCE of the best one: multiples of the
    # period peak as high as the period itself, and picking them would read an octave (or more) low
    best = band.max(axis=1, keepdims=True)
    inner = np.zeros_like(band, bool)
    inner[:, 1:-1] = (band[:, 1:-1] >= band[:, :-2]) & (band[:, 1:-1] >= band[:, 2:])
    near = inner & (band >= OCTAVE_TOLERANCE * best)
    k = np.where(near.any(axis=1), np.argmax(near, axis=1), np.argmax(band, axis=1))
    peak = band[np.arange(n), k]
    # parabolic refinement of the lag
    left = band[np.arange(n), np.clip(k - 1, 0, band.shape[1] - 1)]
    right = band[np.arange(n), np.clip(k + 1, 0, band.shape[1] - 1)]
    denom = left - 2 * peak + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    lag = lo + k + np.clip(shift, -0.5, 0.5)
    loud = (energy > floor) & (energy > 0)
    voiced = (peak >= VOICED_PEAK) & loud & (k > 0) & (k < band.shape[1] - 1)
    return np.where(voiced, np.log2(SAMPLE_RATE / lag), np.nan)


def window_pitch(audio: np.ndarray, spans: list[tuple[float, float]], offset_s: float = 0.0,
                 f0: np.ndarray | None = None, min_voiced: int = MIN_VOICED) -> np.ndarray:
    """Median log2 F0 of each (start, end) window (seconds on the recording; `audio` starts at
    `offset_s`), NaN when it has fewer than `min_voiced` voiced frames. The frames are tracked once
    over the whole audio (or given as `f0`, ``frame_pitch(audio)``); frame j covers [j * HOP, j * HOP +
    FRAME) samples."""
    f0 = frame_pitch(audio) if f0 is None else f0
    out = np.full(len(spans), np.nan)
    centre = (np.arange(f0.size) * HOP + FRAME / 2) / SAMPLE_RATE + offset_s
    for i, (s, e) in enumerate(spans):
        a, b = np.searchsorted(centre, [s, e])
        v = f0[a:b]
        v = v[np.isfinite(v)]
        if v.size >= min_voiced:
            out[i] = float(np.median(v))
    return out
