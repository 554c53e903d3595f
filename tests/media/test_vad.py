"""Silero VAD (ONNX) streaming segmentation on real speech, silence and noise."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from models.fetch import sample_path
from shared.media.vad import FRAME, SileroVad, SpeechSegmenter, VadOptions, speech_pieces
from tests.fixtures import mediagen

SR = 16000


def _reference_turns() -> list[tuple[float, float]]:
    turns = []
    for line in sample_path().with_name("sample.stm").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5:
            turns.append((float(parts[3]), float(parts[4])))
    return turns


def test_model_inputs_are_silero_v5_v6(vad_model_path):
    vad = SileroVad(vad_model_path)
    names = [i.name for i in vad.session.get_inputs()]
    assert names == ["input", "state", "sr"]


def test_speech_regions_cover_every_reference_turn(vad_model_path, speech_sample):
    pieces = speech_pieces(speech_sample, vad_model_path)
    assert pieces, "no speech found in the pyannote sample"
    assert 5.5 < pieces[0].start / SR < 6.7  # the sample is silent for its first ~6.7 s
    for a, b in _reference_turns():
        mid = (a + b) / 2 * SR
        assert any(p.start <= mid < p.end for p in pieces), (a, b)
    # finer settings separate the first "Hello?" from the rest, as the reference does
    fine = speech_pieces(speech_sample, vad_model_path, VadOptions(min_silence_duration_ms=300, speech_pad_ms=100))
    assert len(fine) >= 2 and fine[0].end / SR < 7.6


def test_no_speech_in_silence_and_low_noise(vad_model_path):
    audio = np.concatenate([mediagen.silence(15.0), mediagen.noise(15.0, amp=0.003), mediagen.silence(15.0)])
    assert speech_pieces(audio, vad_model_path) == []
    assert speech_pieces(mediagen.tone(10.0), vad_model_path) == []


def test_matches_faster_whisper_get_speech_timestamps(vad_model_path, monkeypatch):
    """Same probabilities in, same regions out as faster-whisper's reference implementation."""
    import faster_whisper.vad as fw

    audio = mediagen.speech_with_pauses(240.0, [1.5, 3.0, 0.5, 20.0, 45.0])

    class Model:
        def __call__(self, padded: np.ndarray) -> np.ndarray:
            return SileroVad(vad_model_path).probs(padded)

    monkeypatch.setattr(fw, "get_vad_model", lambda: Model())
    for opts in (VadOptions(), VadOptions(threshold=0.6, min_silence_duration_ms=500, speech_pad_ms=200)):
        ref = fw.get_speech_timestamps(
            audio,
            fw.VadOptions(
                threshold=opts.threshold,
                min_speech_duration_ms=opts.min_speech_duration_ms,
                min_silence_duration_ms=opts.min_silence_duration_ms,
                speech_pad_ms=opts.speech_pad_ms,
            ),
        )
        mine = speech_pieces(audio, vad_model_path, opts)
        assert len(mine) >= 5
        assert [(p.start, p.end) for p in mine] == [(r["start"], r["end"]) for r in ref]


def test_streaming_in_odd_blocks_equals_one_pass(vad_model_path):
    audio = mediagen.speech_with_pauses(90.0, [2.5, 8.0])
    whole = speech_pieces(audio, vad_model_path)
    vad, seg = SileroVad(vad_model_path), SpeechSegmenter()
    padded = np.pad(audio, (0, (-len(audio)) % FRAME))
    got = []
    for i in range(0, len(padded), FRAME * 37):
        got += seg.push(vad.probs(padded[i : i + FRAME * 37]))
    got += seg.finish(len(audio))
    assert [(p.start, p.end) for p in got] == [(p.start, p.end) for p in whole]


@pytest.mark.parametrize("max_s", [30.0, 12.0])
def test_long_speech_is_cut_at_low_probability_points(vad_model_path: Path, max_s: float):
    audio = mediagen.speech_with_pauses(150.0, [0.6, 1.2])  # pauses < 2 s: one long region
    pieces = speech_pieces(audio, vad_model_path, max_piece=round(max_s * SR))
    assert len(pieces) >= 150 / max_s
    assert all(p.end - p.start <= max_s * SR for p in pieces)
    assert all(a.end <= b.start for a, b in itertools.pairwise(pieces))
    # forced cuts leave no gap, and fall where the VAD is least sure (pauses or low-energy frames)
    probs = SileroVad(vad_model_path).probs(np.pad(audio, (0, (-len(audio)) % FRAME)))
    cuts = [a.end for a, b in itertools.pairwise(pieces) if a.end == b.start]
    assert cuts
    assert np.median([probs[c // FRAME] for c in cuts]) < np.median(probs)
