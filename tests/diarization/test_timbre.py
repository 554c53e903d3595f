"""The spectral-envelope second opinion: through the blob format, and on the phone-quality dialogue
whose two voices the embedding and pitch alone count as one."""

from __future__ import annotations

import dataclasses

import numpy as np

from bench import dialogues
from bench.der import der
from shared.diarization.clustering import SpeakerCount
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.diarization.timbre import STATS, envelope_distance, split_gain, window_timbre
from shared.media.vad import SileroVad


def test_windows_carry_timbre_through_the_blob(monologue: dialogues.Dialogue, encoder: SpeakerEncoder,
                                              vad: SileroVad) -> None:
    w = embed_chunk(monologue.audio, 3.0, encoder, vad)
    assert w.timbre is not None and w.timbre.shape == (w.starts.size, STATS)
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
    assert diarize([w], SpeakerCount(1, 1)).count == 1 and 3 <= diarize([w], SpeakerCount(3, 4)).count <= 4  # ranges
    owner = np.array([d.turns[int(np.argmax([min(e, t.end) - max(s, t.start) for t in d.turns]))].speaker == "officer"
                      for s, e in zip(w.starts, w.ends, strict=True)]).astype(np.int64)
    spectra = w.timbres.astype(np.float64)
    assert split_gain(owner, spectra, 2, 6)[0, 1] >= 0.5 or envelope_distance(owner, spectra, 2, 6)[0, 1] >= 2.0
    one_voice = np.arange(owner.size)[owner == 1]  # the officer's windows, split in time: one voice
    halves = np.zeros(owner.size, np.int64) - 1
    halves[one_voice[: one_voice.size // 2]], halves[one_voice[one_voice.size // 2 :]] = 0, 1
    assert split_gain(halves, spectra, 2, 6)[0, 1] < 0.3  # fits one envelope


def test_the_gain_ignores_the_channel(monologue: dialogues.Dialogue) -> None:
    """A fixed filter (here pre-emphasis, a tilt of the spectrum) shifts every frame's cepstrum by the
    same vector, so the gain between two parts of the recording stays as it was."""
    spans = [(t, t + 1.5) for t in np.arange(0.5, monologue.duration - 2.0, 0.75)]
    labels = (np.arange(len(spans)) >= len(spans) // 2).astype(np.int64)
    tilted = np.append(monologue.audio[:1], monologue.audio[1:] - 0.9 * monologue.audio[:-1])
    plain = split_gain(labels, window_timbre(monologue.audio, spans).astype(np.float64), 2, 6)[0, 1]
    filtered = split_gain(labels, window_timbre(tilted, spans).astype(np.float64), 2, 6)[0, 1]
    assert np.isfinite(plain) and abs(plain - filtered) < 0.05 * max(plain, 0.1)
