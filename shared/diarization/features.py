"""Resemblyzer's front end in numpy: a 40-channel mel power spectrogram, 25 ms window, 10 ms hop.

It reproduces ``librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160, n_mels=40)``
(what ``resemblyzer.audio.wav_to_mel_spectrogram`` calls, librosa ≥ 0.10 defaults): centred frames
with zero padding of n_fft // 2 on each side, a periodic Hann window, |rfft|², Slaney-scale mel
filters with Slaney area normalisation, no logarithm. Frames are rows: (n_frames, 40), float32,
n_frames = 1 + len(wav) // 160. A test compares it with Resemblyzer's own function.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

N_FFT = 400
HOP = 160
N_MELS = 40
FRAMES_PER_SECOND = SAMPLE_RATE // HOP  # 100
TARGET_DBFS = -30.0  # Resemblyzer's audio_norm_target_dBFS
_INT16_MAX = 2**15 - 1


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above (librosa, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(40, 201) float32 triangular filters between 0 Hz and 8 kHz, Slaney-normalised."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(SAMPLE_RATE / 2)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    weights = np.zeros((N_MELS, fft_freqs.size), dtype=np.float32)
    for i in range(N_MELS):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS])
    weights *= enorm[:, None].astype(np.float32)
    return weights


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)  # periodic Hann


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(1 + len(wav) // 160, 40) float32 mel power frames of a 16 kHz mono float signal."""
    y = np.pad(np.asarray(wav, dtype=np.float32), N_FFT // 2)
    n_frames = 1 + (y.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        y, shape=(n_frames, N_FFT), strides=(y.strides[0] * HOP, y.strides[0]), writeable=False)
    spec = np.fft.rfft(frames * _window(), axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    return (power @ mel_filters().T).astype(np.float32)


def normalize_volume(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """`wav` scaled to an RMS of `target_dbfs` (Resemblyzer's normalisation, both directions).

    Digital silence is returned unchanged."""
    rms = float(np.sqrt(np.mean((np.asarray(wav, np.float64) * _INT16_MAX) ** 2))) if len(wav) else 0.0
    if rms <= 1e-3:
        return np.asarray(wav, np.float32)
    change = target_dbfs - 20 * np.log10(rms / _INT16_MAX)
    return (np.asarray(wav, np.float32) * np.float32(10 ** (change / 20))).astype(np.float32)
