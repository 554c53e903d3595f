"""Word-level resegmentation on a real transcript (Whisper base, word times) of a 3-voice exchange."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import dialogues
from bench.diarization import mapping, segment_metrics
from shared.diarization.clustering import SpeakerCount
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, embed_chunk
from shared.diarization.pipeline import chunk_speakers, diarize_transcript
from shared.diarization.resegment import resegment
from shared.domain.transcript import Segment, TranscriptionOptions
from shared.inference.whisper import WhisperEngine
from shared.media import encode_flac
from shared.media.vad import SileroVad

# Quick turns: Whisper tends to put several of them in one segment, which resegmentation must cut.
SCRIPT = [
    ("officer", "Did you see the car?"),
    ("suspect", "Yes, it was red."),
    ("solicitor", "My client has answered that."),
    ("officer", "Thank you. Which way did it go?"),
    ("suspect", "Towards the river."),
]


@pytest.fixture(scope="module")
def quick_turns() -> dialogues.Dialogue:
    return dialogues.build("quick-turns", script=SCRIPT)


@pytest.fixture
def transcript(quick_turns: dialogues.Dialogue, whisper_base_int8_package: Path) -> list[Segment]:
    engine = WhisperEngine(whisper_base_int8_package, intra_op_threads=1)
    tr = engine.transcribe(quick_turns.audio, [(0.0, quick_turns.duration)],
                           TranscriptionOptions(language="en", word_timestamps=True))
    assert tr.segments and all(s.words for s in tr.segments)
    return list(tr.segments)


@pytest.mark.real_model
@pytest.mark.slow
def test_no_segment_spans_a_turn_change(quick_turns: dialogues.Dialogue, transcript: list[Segment],
                                        encoder: SpeakerEncoder, vad: SileroVad) -> None:
    d, segments = quick_turns, transcript
    windows = embed_chunk(d.audio, 0.0, encoder, vad)
    # 8 s of speech, under 4 s per voice: too little for the automatic count, so the count is given
    result = diarize([windows], SpeakerCount(3, 3))
    tr_segments = segments
    segs = resegment(tr_segments, result.turns, result.regions)
    m = segment_metrics(list(d.turns), segs, mapping(list(d.turns), result))
    assert result.count == 3
    assert m["spanning_turn_change"] == 0
    assert m["boundary_max_s"] is not None and m["boundary_max_s"] < 0.5
    assert m["edge_word_accuracy"] == 1.0
    assert all(w.start >= s.start and w.end <= s.end for s in segs for w in s.words)
    assert [s.speaker for s in segs][:1] == ["S1"]


@pytest.mark.real_model
@pytest.mark.slow
def test_pipeline_steps_over_flac_chunks(quick_turns: dialogues.Dialogue, transcript: list[Segment],
                                         encoder: SpeakerEncoder, vad: SileroVad) -> None:
    """Chunks embedded independently from their FLAC blobs, one diarization in the merge."""
    d, sr = quick_turns, 16000
    cut = round((d.turns[2].end + 0.3) * sr)
    parts = [chunk_speakers(encode_flac(d.audio[cut:]), cut / sr, encoder, vad),
             chunk_speakers(encode_flac(d.audio[:cut]), 0.0, encoder, vad)]
    parts = [json.loads(json.dumps(p)) for p in parts]  # through a JSON blob
    out = diarize_transcript(transcript, parts, SpeakerCount(3, 3), keep_words=False)
    assert out["speaker_count"] == 3 and [s["id"] for s in out["speakers"]] == ["S1", "S2", "S3"]
    assert [s["speaker"] for s in out["segments"]][:3] == ["S1", "S2", "S3"]
    assert all(s["words"] is None and s["avg_logprob"] < 0 for s in out["segments"])
    again = diarize_transcript(transcript, parts, SpeakerCount(3, 3), keep_words=False)
    assert json.dumps(again, sort_keys=True) == json.dumps(out, sort_keys=True)  # deterministic
    with pytest.raises(ValueError, match="toex-speaker-windows"):
        diarize_transcript(transcript, [{"format": "other"}])
