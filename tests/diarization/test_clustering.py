"""Clustering and turns on real embeddings: the pyannote sample, an espeak-ng 3-voice dialogue, one voice."""

from __future__ import annotations

import numpy as np
import pytest

from bench.der import der
from bench.dialogues import Dialogue, Turn
from shared.diarization.clustering import SpeakerCount, cluster
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.media.vad import SileroVad


def test_speaker_count_parsing() -> None:
    assert SpeakerCount.parse(None) == SpeakerCount(1, 10)
    assert SpeakerCount.parse("3") == SpeakerCount(3, 3) and SpeakerCount.parse(3).fixed
    assert SpeakerCount.parse("2-4") == SpeakerCount(2, 4)
    for bad in ("0", "4-2", "two", "1-99"):
        with pytest.raises(ValueError):
            SpeakerCount.parse(bad)


def test_pyannote_sample_has_two_speakers(sample_windows: SpeakerWindows, sample_reference: list[Turn]) -> None:
    result = diarize([sample_windows])
    assert result.count == 2
    assert [s.speaker for s in result.speakers] == ["S1", "S2"]
    assert result.turns[0].speaker == "S1"  # labels in order of first appearance
    assert der(sample_reference, result.turns).der <= 0.15


def test_three_voice_dialogue(dialogue3: Dialogue, encoder: SpeakerEncoder, vad: SileroVad) -> None:
    result = diarize([embed_chunk(dialogue3.audio, 0.0, encoder, vad)])
    assert result.count == 3
    assert der(list(dialogue3.turns), result.turns).der <= 0.10


def test_chunks_cluster_together_with_stable_labels(dialogue3: Dialogue, encoder: SpeakerEncoder,
                                                    vad: SileroVad) -> None:
    """Embeddings computed per chunk (fan-out), clustered once: the same speakers as in one piece."""
    audio, sr = dialogue3.audio, 16000
    cut = round(dialogue3.turns[5].end * sr + 0.1 * sr)  # a pause between turns
    parts = [embed_chunk(audio[cut:], cut / sr, encoder, vad), embed_chunk(audio[:cut], 0.0, encoder, vad)]
    parts = [SpeakerWindows.from_dict(p.to_dict()) for p in parts]  # through the blob format
    result = diarize(parts)
    assert result.count == 3
    assert result.turns[0].speaker == "S1" and result.turns[0].start < 1.0
    assert der(list(dialogue3.turns), result.turns).der <= 0.10


def test_single_voice_is_one_speaker(monologue: Dialogue, encoder: SpeakerEncoder, vad: SileroVad) -> None:
    result = diarize([embed_chunk(monologue.audio, 0.0, encoder, vad)])
    assert result.count == 1 and {t.speaker for t in result.turns} == {"S1"}


def test_known_count_is_obeyed(sample_windows: SpeakerWindows, monologue: Dialogue, encoder: SpeakerEncoder,
                               vad: SileroVad) -> None:
    w = sample_windows
    for k in (1, 3):
        labels = cluster(w.vectors, w.starts, w.durations, SpeakerCount(k, k))
        assert len(np.unique(labels)) == k
    mono = embed_chunk(monologue.audio, 0.0, encoder, vad)
    labels = cluster(mono.vectors, mono.starts, mono.durations, SpeakerCount.parse("2-4"))
    assert len(np.unique(labels)) == 2  # the range's floor holds even for one voice


def test_silence_gives_no_speaker(encoder: SpeakerEncoder, vad: SileroVad, dialogue3: Dialogue) -> None:
    silent = embed_chunk(np.zeros(16000 * 5, np.float32), 40.0, encoder, vad)
    assert silent.vectors.shape == (0, 256) and silent.regions.shape == (0, 2)
    assert diarize([silent]).count == 0
    # a silent chunk next to a spoken one changes nothing
    spoken = embed_chunk(dialogue3.audio, 0.0, encoder, vad)
    assert diarize([silent, spoken]).turns == diarize([spoken]).turns


def test_two_close_male_voices_are_two_speakers(encoder: SpeakerEncoder, vad: SileroVad) -> None:
    """The cast whose two male voices (centroids 0.86 apart) were once counted as one."""
    from bench import dialogues

    d = dialogues.build("dialogue-2", seed=21, voices=dialogues.UNSEEN_VOICES)
    result = diarize([embed_chunk(d.audio, 0.0, encoder, vad)])
    assert result.count == 2
    assert der(list(d.turns), result.turns).der <= 0.10
