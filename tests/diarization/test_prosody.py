"""The pitch tracker on signals of known pitch, on espeak-ng voices, and through the blob format."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench import dialogues
from shared.diarization.clustering import ClusteringOptions, pitch_apart
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.diarization.prosody import frame_pitch, window_pitch
from shared.media.vad import SileroVad


def _harmonics(f0: float, seconds: float = 1.0, first: int = 1) -> np.ndarray:
    t = np.arange(round(16000 * seconds)) / 16000
    return sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(first, 12)).astype(np.float32)


def test_known_pitch_even_without_its_fundamental() -> None:
    for f0 in (95.0, 140.0, 220.0):
        full = 2 ** np.nanmedian(frame_pitch(_harmonics(f0)))
        phone = 2 ** np.nanmedian(frame_pitch(_harmonics(f0, first=int(np.ceil(300 / f0)))))  # no energy below 300 Hz
        assert abs(full - f0) < 0.02 * f0 and abs(phone - f0) < 0.03 * f0
    noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    assert np.isnan(window_pitch(noise, [(0.0, 1.0)])).all()  # noise is not voiced


def test_a_higher_register_reads_higher() -> None:
    text = "I went straight home after the match and called my mother."
    with tempfile.TemporaryDirectory() as tmp:
        low = dialogues.trim(dialogues.synthesise(text, dialogues.Voice("en-gb+m3", 30, 160), Path(tmp)))
        high = dialogues.trim(dialogues.synthesise(text, dialogues.Voice("en-gb+m3", 70, 160), Path(tmp)))
    p_low = window_pitch(low, [(0.0, low.size / 16000)])[0] * 12
    p_high = window_pitch(high, [(0.0, high.size / 16000)])[0] * 12
    assert p_high - p_low > 3  # semitones


def test_pitch_apart_needs_a_gap_beyond_the_voices_own_spread() -> None:
    opts = ClusteringOptions()
    labels = np.repeat([0, 1], 8)
    flat = np.concatenate([np.full(8, 7.0), np.full(8, 7.0 + 3 / 12)]) + np.tile(np.linspace(-0.02, 0.02, 8), 2)
    assert pitch_apart(labels, flat, 2, opts)[0, 1]
    lively = flat + np.tile(np.linspace(-4 / 12, 4 / 12, 8), 2)  # ±4 semitones of intonation each
    assert not pitch_apart(labels, lively, 2, opts)[0, 1]
    sparse = flat.copy()
    sparse[:5] = np.nan  # too few voiced windows to judge
    assert not pitch_apart(labels, sparse, 2, opts)[0, 1]


def test_windows_carry_pitch_through_the_blob(monologue: dialogues.Dialogue, encoder: SpeakerEncoder,
                                             vad: SileroVad) -> None:
    w = embed_chunk(monologue.audio, 3.0, encoder, vad)
    assert w.pitch is not None and np.isfinite(w.pitch).mean() > 0.8
    back = SpeakerWindows.from_dict(w.to_dict())
    assert back.pitch is not None and np.array_equal(back.pitch, w.pitch)
    old = {k: v for k, v in w.to_dict().items() if k != "pitch"}  # a blob written before pitch existed
    assert np.isnan(SpeakerWindows.from_dict(old).pitches).all()
