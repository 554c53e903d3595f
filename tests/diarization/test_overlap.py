"""Overlapped speech: the two-voice cue on real signals, the two-cue rule, and overlap segments.

The end-to-end figures (precision, recall, DER with overlap) are measured by ``bench.diarization
--overlap``; here the physics of the cue and the rules that keep clean speech free of overlap."""

from __future__ import annotations

import numpy as np
import pytest

from bench import dialogues
from shared.diarization.clustering import SpeakerCount
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, embed_chunk
from shared.diarization.overlap import (
    Overlap,
    cancellation_residual,
    find_overlaps,
    mark_overlaps,
    overlap_cues,
    overlap_turns,
    two_voice_stretches,
)
from shared.diarization.types import SpeakerSegment, SpeakerTurn
from shared.domain.audio_format import SAMPLE_RATE
from shared.domain.transcript import Word
from shared.media.vad import SileroVad


def _voice(f0: float, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A voiced sound: 12 harmonics of `f0` with a falling spectrum and random phases."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    rng = np.random.default_rng(seed)
    return sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 13)) * 0.1


def test_one_voice_cancels_two_voices_do_not() -> None:
    one = np.nanmedian(cancellation_residual(_voice(120.0)))
    two = np.nanmedian(cancellation_residual(_voice(120.0) + _voice(197.0, seed=1)))
    noise = np.nanmedian(cancellation_residual(np.random.default_rng(2).normal(0, 0.1, SAMPLE_RATE)))
    assert one < 0.05 and two > 0.35 and noise > 0.8
    regions = np.array([[0.0, 1.0]])
    assert two_voice_stretches(_voice(120.0), regions).size == 0
    stretch = two_voice_stretches(_voice(120.0) + _voice(197.0, seed=1), regions, offset_s=10.0)
    assert stretch.shape == (1, 2) and 10.0 <= stretch[0, 0] < 10.1 and stretch[0, 1] > 10.9
    gap = np.concatenate([_voice(120.0, 0.5), np.zeros(SAMPLE_RATE // 5), _voice(120.0, 0.5)])
    pauses = overlap_cues(gap, np.array([[0.0, 1.2]]))[1]
    assert pauses.shape == (1, 2) and 0.5 <= pauses[0, 0] < 0.53 and 0.67 < pauses[0, 1] <= 0.7


def test_an_overlap_needs_a_change_without_a_pause() -> None:
    two_voice = np.array([[3.8, 4.6], [7.9, 8.4]])
    turns = [SpeakerTurn(0.5, 4.2, "S1"), SpeakerTurn(4.2, 6.0, "S2"),  # change inside one region
             SpeakerTurn(6.5, 8.0, "S1"), SpeakerTurn(8.3, 9.0, "S2")]  # change at a pause
    assert find_overlaps(turns, two_voice) == [Overlap(3.8, 4.6, ("S1", "S2"))]
    assert find_overlaps(turns, np.zeros((0, 2))) == []  # the change alone is not enough
    one_voice = [SpeakerTurn(0.5, 4.2, "S1"), SpeakerTurn(4.2, 6.0, "S1")]
    assert find_overlaps(one_voice, two_voice) == []
    far = np.array([[1.0, 2.0]])
    assert find_overlaps(turns, far) == []  # two voices, but not where the speakers meet
    assert [(t.speaker, t.start) for t in overlap_turns(find_overlaps(turns, two_voice))] == [("S1", 3.8), ("S2", 3.8)]
    assert find_overlaps(turns, two_voice, pauses=np.array([[4.5, 4.65]])) == []  # a short pause: a turn change


def test_overlap_words_get_their_own_segment() -> None:
    words = (Word(1.0, 1.4, " I", 0.9), Word(1.4, 1.9, " was", 0.9), Word(3.9, 4.3, " no,", 0.9),
             Word(4.3, 4.5, " wait", 0.9), Word(4.7, 5.2, " there.", 0.9))
    piece = SpeakerSegment(1.0, 5.2, "I was no, wait there.", "S1", words, 0)
    out = mark_overlaps([piece], [Overlap(3.8, 4.6, ("S1", "S2"))])
    assert [(p.text, p.overlap) for p in out] == [("I was", ()), ("no, wait", ("S1", "S2")), ("there.", ())]
    assert [(p.start, p.end) for p in out] == [(1.0, 1.9), (3.8, 4.6), (4.7, 5.2)]
    assert out[1].to_dict()["speaker"] is None and out[1].to_dict()["speakers"] == ["S1", "S2"]
    assert "".join(w.text for p in out for w in p.words) == "".join(w.text for w in words)
    assert mark_overlaps([piece], [Overlap(2.0, 3.5, ("S1", "S2"))]) == [piece]  # no word in it


@pytest.mark.real_model
def test_clean_speech_gives_no_overlap(monologue: dialogues.Dialogue, dialogue3: dialogues.Dialogue,
                                       encoder: SpeakerEncoder, vad: SileroVad) -> None:
    for d, n in ((monologue, None), (dialogue3, 3)):
        windows = embed_chunk(d.audio, 0.0, encoder, vad)
        two_voice, pauses = overlap_cues(d.audio, windows.regions)
        result = diarize([windows], SpeakerCount(n, n) if n else SpeakerCount(), two_voice=two_voice, pauses=pauses)
        assert result.overlaps == []
