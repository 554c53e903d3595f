"""The automatic speaker count on development casts whose counts were wrong on main (issue 13):
real espeak-ng voices, the real speaker encoder, through the speaker-windows blob."""

from __future__ import annotations

import numpy as np

from bench import dialogues
from bench.der import der
from shared.diarization.diarize import Diarization, diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.media.vad import SileroVad


def _diarize(audio: np.ndarray, encoder: SpeakerEncoder, vad: SileroVad) -> Diarization:
    return diarize([SpeakerWindows.from_dict(embed_chunk(audio, 0.0, encoder, vad).to_dict())])


def test_a_voice_of_five_windows_gets_the_pitch_opinion(encoder: SpeakerEncoder, vad: SileroVad) -> None:
    """Cast 108 over the phone: the suspect's cluster had 5 windows, under the 6 voiced windows that
    the pitch veto needed, so it merged into the solicitor on the embedding alone (0.883): 3 of 4
    speakers, DER 19 %. With 4 enough, pitch keeps them apart."""
    d = dialogues.build("dialogue-4", seed=108, voices=dialogues.random_cast(108))
    result = _diarize(dialogues.telephone(d.audio, 108), encoder, vad)
    assert result.count == 4
    assert der(list(d.turns), result.turns).der <= 0.05


def test_a_short_speaker_in_another_register_is_not_merged(encoder: SpeakerEncoder, vad: SileroVad) -> None:
    """The quick exchange (replies of 0.5-1.5 s, pauses under the VAD's 0.2 s): the suspect's clean
    windows are cut into pieces owning under 4 s each (4 and 2 windows), and they were merged into the
    officer (0.89 alike): 1 speaker, DER 23 %. Pitch from 4 voiced windows sets them apart from the
    officer, so they join each other (4.8 s) and stand."""
    d = dialogues.build_quick("quick-2")
    result = _diarize(d.audio, encoder, vad)
    assert result.count == 2
    assert der(list(d.turns), result.turns).der <= 0.10
