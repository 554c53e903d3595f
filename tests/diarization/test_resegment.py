"""Word-level resegmentation on a real transcript (Whisper base, word times) of a 3-voice exchange."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import dialogues
from bench.diarization import mapping, segment_metrics
from shared.diarization.clustering import SpeakerCount
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, embed_chunk
from shared.diarization.resegment import resegment
from shared.domain.transcript import Segment, TranscriptionOptions
from shared.inference.whisper import WhisperEngine
from shared.media.vad import SileroVad

# Quick turns: Whisper tends to put several of them in one segment, which resegmentation must cut.
SCRIPT = [
    ("officer", "Did you see the car?"),
    ("suspect", "Yes, it was red."),
    ("solicitor", "My client has answered that."),
    ("officer", "Thank you. Which way did it go?"),
    ("suspect", "Towards the river."),
]


@pytest.mark.real_model
@pytest.mark.slow
def test_no_segment_spans_a_turn_change(whisper_base_int8_package: Path, encoder: SpeakerEncoder,
                                        vad: SileroVad) -> None:
    d = dialogues.build("quick-turns", script=SCRIPT)
    windows = embed_chunk(d.audio, 0.0, encoder, vad)
    # 8 s of speech, under 4 s per voice: too little for the automatic count, so the count is given
    result = diarize([windows], SpeakerCount(3, 3))
    engine = WhisperEngine(whisper_base_int8_package, intra_op_threads=1)
    tr = engine.transcribe(d.audio, [(0.0, d.duration)], TranscriptionOptions(language="en", word_timestamps=True))
    assert all(isinstance(s, Segment) and s.words for s in tr.segments)
    segs = resegment(list(tr.segments), result.turns, result.regions)
    m = segment_metrics(list(d.turns), segs, mapping(list(d.turns), result))
    assert result.count == 3
    assert m["spanning_turn_change"] == 0
    assert m["boundary_max_s"] is not None and m["boundary_max_s"] < 0.5
    assert m["edge_word_accuracy"] == 1.0
    assert all(w.start >= s.start and w.end <= s.end for s in segs for w in s.words)
    assert [s.speaker for s in segs][:1] == ["S1"]
