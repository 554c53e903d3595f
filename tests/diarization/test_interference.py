"""Speakers told apart under mains hum or a DC offset (``interference``): pyannote's real two-speaker
sample, the real Silero VAD and the real speaker encoder. Clean audio is heard as it is (the same array:
its features are unchanged); hum at -10 dBFS or a +0.3 DC offset, which left the encoder, pitch and
envelope hearing one voice, is high-passed for the speaker features and two speakers are found again."""

from __future__ import annotations

import numpy as np
import pytest

from bench import dialogues
from bench.der import der
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, embed_chunk
from shared.diarization.interference import LOW_SHARE, low_share, speaker_audio
from shared.diarization.overlap import overlap_cues
from shared.media.vad import SileroVad
from tests.fixtures.mediagen import SR


def interfered(audio: np.ndarray, kind: str) -> np.ndarray:
    t = np.arange(len(audio)) / SR
    noise = (0.3 * np.sin(2 * np.pi * 50 * t) + 0.03 * np.sin(2 * np.pi * 150 * t) if kind == "hum"
             else np.full(len(audio), 0.3))
    return (0.5 * audio + noise).astype(np.float32)


def test_clean_speech_is_heard_as_it_is_far_under_the_threshold(sample_audio: np.ndarray,
                                                                 monologue: dialogues.Dialogue) -> None:
    for audio in (sample_audio, monologue.audio):  # a real recording; an espeak-ng male voice
        heard, filtered = speaker_audio(audio)
        assert heard is audio and not filtered
        assert low_share(audio) < LOW_SHARE / 2
    assert low_share(interfered(sample_audio, "hum")) > 0.9 and low_share(interfered(sample_audio, "dc")) > 0.9


@pytest.mark.parametrize("kind", ["hum", "dc"])
def test_two_speakers_are_told_apart_under_hum_or_dc(kind: str, sample_audio: np.ndarray,
                                                      sample_reference: list[dialogues.Turn],
                                                      encoder: SpeakerEncoder, vad: SileroVad) -> None:
    audio = interfered(sample_audio, kind)
    w = embed_chunk(audio, 0.0, encoder, vad)
    two_voice, pauses = overlap_cues(audio, w.regions)
    result = diarize([w], two_voice=two_voice, pauses=pauses)
    assert result.count == 2  # main's features heard one voice (DER 46 %)
    assert der(sample_reference, result.turns).to_dict()["der"] < 0.10
