"""embed_chunk computes the pitch frames and the mel band frames once per chunk and shares them: the
windows' timbre and the units must be what each step gives on its own from the audio (real sample)."""

from __future__ import annotations

import numpy as np

from shared.diarization.embeddings import SpeakerWindows
from shared.diarization.prosody import frame_pitch
from shared.diarization.timbre import window_timbre
from shared.diarization.units import chunk_units


def test_shared_frames_give_what_each_step_computes_alone(sample_audio: np.ndarray,
                                                        sample_windows: SpeakerWindows) -> None:
    spans = list(zip(sample_windows.starts, sample_windows.ends, strict=True))
    alone = window_timbre(sample_audio, spans)
    assert np.isfinite(alone).all(axis=1).sum() > 10  # real windows measured, not all NaN
    np.testing.assert_array_equal(sample_windows.timbre, alone)
    units = chunk_units(sample_audio, sample_windows.regions, f0=frame_pitch(sample_audio))
    assert sample_windows.units is not None and units.starts.size > 50
    np.testing.assert_array_equal(sample_windows.units.stats, units.stats)
    np.testing.assert_array_equal(sample_windows.units.pitch, units.pitch)
