"""The spectral-envelope second opinion: through the blob format, and on the phone-quality dialogue
whose two voices the embedding and pitch alone count as one."""

from __future__ import annotations

import dataclasses

import numpy as np

from bench import dialogues
from bench.der import der
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.diarization.timbre import N_CEPS, normalised, timbre_distance, window_timbre
from shared.media.vad import SileroVad


def test_windows_carry_timbre_through_the_blob(monologue: dialogues.Dialogue, encoder: SpeakerEncoder,
                                              vad: SileroVad) -> None:
    w = embed_chunk(monologue.audio, 3.0, encoder, vad)
    assert w.timbre is not None and w.timbre.shape == (w.starts.size, N_CEPS)
    assert np.isfinite(w.timbre).all(axis=1).mean() > 0.8
    back = SpeakerWindows.from_dict(w.to_dict())
    assert back.timbre is not None and np.array_equal(back.timbre, w.timbre)
    old = {k: v for k, v in w.to_dict().items() if k != "timbre"}  # a blob written before timbre existed
    assert np.isnan(SpeakerWindows.from_dict(old).timbres).all()
    assert diarize([SpeakerWindows.from_dict(old)]).count == 1
    silence = np.zeros(16000, np.float32)
    assert np.isnan(window_timbre(silence, [(0.0, 1.0)])).all()  # nothing loud enough to describe


def test_timbre_separates_two_voices_the_embedding_merges(encoder: SpeakerEncoder, vad: SileroVad) -> None:
    """dialogue-2 with random cast 111 over the phone: the two voices' centroids are 0.92 alike."""
    d = dialogues.build("dialogue-2", seed=111, voices=dialogues.random_cast(111))
    phone = dialogues.telephone(d.audio, 111)
    w = embed_chunk(phone, 0.0, encoder, vad)
    with_timbre = diarize([w])
    assert with_timbre.count == 2 and der(list(d.turns), with_timbre.turns).der <= 0.10
    assert diarize([dataclasses.replace(w, timbre=None)]).count == 1  # without it: one speaker
    labels = np.array([0 if t.speaker == "officer" else 1 for t in d.turns])
    owner = np.array([labels[np.argmax([min(e, t.end) - max(s, t.start) for t in d.turns])]
                      for s, e in zip(w.starts, w.ends, strict=True)])
    assert timbre_distance(owner, normalised(w.timbres), 2, 6)[0, 1] >= 2.0
