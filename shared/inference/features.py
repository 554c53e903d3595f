"""Whisper log-mel features in numpy (no torch).

Matches transformers' ``WhisperFeatureExtractor`` (slaney mel filterbank, periodic Hann window,
centred reflect-padded STFT, log10, dynamic range clamp of 8, ``(x + 4) / 4``) to within 1e-3.
Each window is zero-padded or trimmed to 30 s (3000 frames) before the STFT, as transformers does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

N_FFT = 400
HOP_LENGTH = 160
CHUNK_SECONDS = 30
N_SAMPLES = CHUNK_SECONDS * SAMPLE_RATE  # 480000
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000
FRAME_SECONDS = HOP_LENGTH / SAMPLE_RATE  # 0.01


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    freq = np.asarray(freq, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    lin = freq / f_sp
    return np.where(freq >= min_log_hz, min_log_mel + np.log(np.maximum(freq, 1e-10) / min_log_hz) / logstep, lin)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def mel_filterbank(n_mels: int, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Slaney-normalised triangular mel filters, shape ``(n_mels, 1 + n_fft // 2)``, float32."""
    n_freqs = 1 + n_fft // 2
    fft_freqs = np.linspace(0.0, sample_rate / 2, n_freqs)
    mel_pts = np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(8000.0)), n_mels + 2)
    hz_pts = _mel_to_hz(mel_pts)
    widths = np.diff(hz_pts)
    slopes = hz_pts[None, :] - fft_freqs[:, None]  # (n_freqs, n_mels + 2)
    rising = -slopes[:, :-2] / widths[:-1]
    falling = slopes[:, 2:] / widths[1:]
    filters = np.maximum(0.0, np.minimum(rising, falling))  # (n_freqs, n_mels)
    filters *= 2.0 / (hz_pts[2:] - hz_pts[:-2])
    return filters.T.astype(np.float32)


def _hann(n: int) -> np.ndarray:
    """Periodic Hann window (as torch.hann_window / transformers ``window_function(n, 'hann')``)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float64)


@dataclass(frozen=True)
class FeatureExtractor:
    """Log-mel extractor for one model (80 or 128 mel bins)."""

    n_mels: int = 80

    @classmethod
    def from_config(cls, source: Path | bytes) -> FeatureExtractor:
        """Read ``feature_size`` from a ``preprocessor_config.json`` (a path, or its verified bytes)."""
        cfg = json.loads(source if isinstance(source, bytes) else Path(source).read_bytes())
        return cls(n_mels=int(cfg.get("feature_size", 80)))

    @cached_property
    def filters(self) -> np.ndarray:
        return mel_filterbank(self.n_mels)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """Features of one clip (padded/trimmed to 30 s): float32 ``(n_mels, 3000)``."""
        x = np.zeros(N_SAMPLES, dtype=np.float64)
        clip = np.asarray(audio, dtype=np.float64).reshape(-1)[:N_SAMPLES]
        x[: clip.shape[0]] = clip
        pad = N_FFT // 2
        x = np.pad(x, (pad, pad), mode="reflect")
        n_frames = 1 + (x.shape[0] - N_FFT) // HOP_LENGTH
        frames = np.lib.stride_tricks.as_strided(
            x, shape=(n_frames, N_FFT), strides=(x.strides[0] * HOP_LENGTH, x.strides[0]), writeable=False
        )
        spec = np.fft.rfft(frames * _hann(N_FFT), axis=-1)
        power = (spec.real**2 + spec.imag**2).astype(np.float32)  # (n_frames, n_freqs)
        mel = self.filters @ power.T  # (n_mels, n_frames)
        log_spec = np.log10(np.maximum(mel, 1e-10))[:, :-1]
        log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
        return ((log_spec + 4.0) / 4.0).astype(np.float32)

    def batch(self, clips: list[np.ndarray]) -> np.ndarray:
        """Features of several clips: float32 ``(batch, n_mels, 3000)``."""
        return np.stack([self(c) for c in clips]) if clips else np.zeros((0, self.n_mels, N_FRAMES), np.float32)
