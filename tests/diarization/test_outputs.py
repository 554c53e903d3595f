"""Speakers in every output, from real audio: espeak-ng voices → real Whisper base (word times) and the
real exported speaker encoder → transcript.json 1.3 → txt / srt / vtt / docx, and the names overlay."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from docx import Document

from bench import dialogues
from shared.diarization.clustering import SpeakerCount
from shared.diarization.embeddings import SpeakerEncoder
from shared.diarization.pipeline import chunk_speakers, diarize_transcript, transcript_fields
from shared.domain.transcript import Segment, TranscriptionOptions
from shared.inference.whisper import WhisperEngine
from shared.media import encode_flac
from shared.media.plan import ChunkPlan, PlannedChunk
from shared.media.vad import SileroVad
from shared.outputs.formats import render
from shared.outputs.overlay import (
    dumps_overlay,
    load_overlay,
    names_in_order,
    new_overlay,
    rename_speakers,
    set_record,
)
from shared.outputs.transcript import build_transcript, dumps_transcript
from shared.services import build_local, set_services
from tests.diarization.test_resegment import SCRIPT
from tests.fixtures.outputs import load_schema
from tests.functions.helpers import make_settings

pytestmark = [pytest.mark.real_model, pytest.mark.slow]
SR = 16000
AT = "2026-12-01T12:00:00+00:00"


@pytest.fixture(scope="module")
def turns_audio() -> dialogues.Dialogue:
    return dialogues.build("quick-turns", script=SCRIPT)


@pytest.fixture(scope="module")
def whisper_segments(turns_audio: dialogues.Dialogue, _whisper_base_int8: Path) -> list[Segment]:
    d = turns_audio
    engine = WhisperEngine(_whisper_base_int8, intra_op_threads=1)
    opts = TranscriptionOptions(language="en", word_timestamps=True)
    return list(engine.transcribe(d.audio, [(0.0, d.duration)], opts).segments)


def _cut(d: dialogues.Dialogue) -> int:
    return round((d.turns[2].end + 0.3) * SR)  # a pause after the third turn


@pytest.fixture(scope="module")
def diarized(turns_audio: dialogues.Dialogue, whisper_segments: list[Segment], encoder: SpeakerEncoder,
             vad: SileroVad) -> dict[str, Any]:
    """The merge step's result over two FLAC chunks cut in a pause (fan-out, one clustering)."""
    d, cut = turns_audio, _cut(turns_audio)
    parts = [chunk_speakers(encode_flac(d.audio[:cut]), 0.0, encoder, vad),
             chunk_speakers(encode_flac(d.audio[cut:]), cut / SR, encoder, vad)]
    return diarize_transcript(whisper_segments, json.loads(json.dumps(parts)), SpeakerCount.parse("3"))


def _transcript(diarized: dict[str, Any]) -> dict[str, Any]:
    segments, speakers, diarization = transcript_fields(diarized)
    return build_transcript(
        job_id="job-speakers", source={"name": "interview.wav", "sha256": "ab" * 32, "duration_s": 10.0},
        language="en", language_probability=None, segments=segments, translation=None,
        model={"name": "whisper-base", "sha256": "cd" * 32, "precision": "int8"},
        params=TranscriptionOptions(language="en", word_timestamps=True), created_at=AT,
        speakers=speakers, diarization=diarization)


@pytest.fixture(scope="module")
def transcript(diarized: dict[str, Any]) -> dict[str, Any]:
    return _transcript(diarized)


def test_transcript_carries_speakers_per_segment_and_word(transcript: dict[str, Any],
                                                          turns_audio: dialogues.Dialogue,
                                                          diarized: dict[str, Any]) -> None:
    t = transcript
    assert t["schema_version"] == "1.4"
    jsonschema.Draft202012Validator(load_schema()).validate(json.loads(dumps_transcript(t)))
    d = t["diarization"]
    assert d["requested"] == "3" and d["speaker_count"] == 3 and d["model"]["name"] == "speaker-resemblyzer"
    assert [r["id"] for r in d["speakers"]] == ["S1", "S2", "S3"]
    assert d["speakers"][0]["first_appearance"] < 1.0 and all(r["speaking_time"] > 0.5 for r in d["speakers"])
    assert all(s["speaker"] in {"S1", "S2", "S3"} for s in t["segments"])
    assert all(w["speaker"] == s["speaker"] for s in t["segments"] for w in s["words"])
    # who speaks, turn by turn (the script's order: officer, suspect, solicitor, officer, suspect)
    role_of = {}
    for turn in turns_audio.turns:
        mid = (turn.start + turn.end) / 2
        seg = min(t["segments"], key=lambda s: 0 if s["start"] <= mid <= s["end"] else
                  min(abs(mid - s["start"]), abs(mid - s["end"])))
        role_of.setdefault(turn.speaker, set()).add(seg["speaker"])
    assert role_of == {"officer": {"S1"}, "suspect": {"S2"}, "solicitor": {"S3"}}
    # deterministic: the same inputs give the same bytes, and the bytes read back as the same document
    assert dumps_transcript(_transcript(diarized)) == dumps_transcript(t)
    assert json.loads(dumps_transcript(t)) == t


def test_the_builder_refuses_a_speaker_outside_the_table(diarized: dict[str, Any]) -> None:
    bad = copy.deepcopy(diarized)
    bad["segments"][0]["speaker"] = "S9"
    with pytest.raises(ValueError, match="S9"):
        _transcript(bad)


def test_every_rendering_shows_the_speakers(transcript: dict[str, Any]) -> None:
    t = transcript
    first = t["segments"][0]
    txt = render(t, "txt").decode()
    assert "Speakers:" in txt and "3 (count given: 3, speaker-resemblyzer)" in txt
    assert f"] S1: {first['text'].strip()}" in txt
    assert sum(line.startswith("Speaker:") for line in txt.splitlines()) == 3
    srt = render(t, "srt").decode()
    assert srt.startswith("1\n") and f"\nS1: {first['text'].strip()}\n" in srt
    vtt = render(t, "vtt").decode()
    assert f"<v S1>{first['text'].strip()}</v>" in vtt and "<v S2>" in vtt and "<v S3>" in vtt
    doc = Document(io.BytesIO(render(t, "docx")))
    table = doc.tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["Time", "Speaker", "Text"]
    assert [r.cells[1].text for r in table.rows[1:]] == [s["speaker"] for s in t["segments"]]
    assert render(t, "docx") == render(t, "docx")  # byte-stable


def test_names_overlay_renames_without_touching_the_transcript(transcript: dict[str, Any]) -> None:
    t = transcript
    data = dumps_transcript(t)
    before = hashlib.sha256(data).hexdigest()
    overlay = new_overlay(data)
    names = names_in_order(t, "DC Hale, Daniel Price ,Ms Okafor")
    assert names == {"S1": "DC Hale", "S2": "Daniel Price", "S3": "Ms Okafor"}
    v1 = rename_speakers(overlay, t, names, by="submission", at=AT)
    v2 = rename_speakers(v1, t, {"S3": "Solicitor Okafor"}, by="pc.jones@force.example", at="2026-12-01T13:00:00Z")
    v2 = set_record(v2, "pc.jones@force.example", "2026-12-01T13:01:00Z", case_reference="CR-2026-0042",
                    exhibit_reference="JH/1", persons_present=["DC Hale", "Daniel Price", "Ms Okafor"])
    assert (overlay["version"], v1["version"], v2["version"]) == (0, 1, 3) and overlay["speaker_names"] == {}
    assert v2["speaker_names"] == {"S1": "DC Hale", "S2": "Daniel Price", "S3": "Solicitor Okafor"}
    assert v2["history"][1] == {"version": 2, "at": "2026-12-01T13:00:00Z", "by": "pc.jones@force.example",
                                "action": "speaker_names", "changes": {"S3": ["Ms Okafor", "Solicitor Okafor"]}}
    assert rename_speakers(v2, t, {"S1": "DC Hale"}, by="x", at=AT) == v2  # no change, no new version
    loaded = load_overlay(dumps_overlay(v2), data, t)
    assert loaded == v2 and hashlib.sha256(dumps_transcript(t)).hexdigest() == before  # machine output intact
    assert json.loads(render(t, "json", overlay=loaded)) == t  # json stays the machine's own

    txt = render(t, "txt", overlay=loaded).decode()
    assert "Case reference:" in txt and "CR-2026-0042" in txt and "JH/1" in txt
    assert "DC Hale; Daniel Price; Ms Okafor" in txt and "Solicitor Okafor (S3)" in txt
    assert "overlay version 3, last changed by pc.jones@force.example" in txt
    assert f"] DC Hale: {t['segments'][0]['text'].strip()}" in txt and "] S1:" not in txt
    assert "<v Daniel Price>" in render(t, "vtt", overlay=loaded).decode()
    assert "\nSolicitor Okafor: " in render(t, "srt", overlay=loaded).decode()
    table = Document(io.BytesIO(render(t, "docx", overlay=loaded))).tables[-1]
    assert {r.cells[1].text for r in table.rows[1:]} == {"DC Hale", "Daniel Price", "Solicitor Okafor"}


def test_overlay_refuses_what_it_cannot_vouch_for(transcript: dict[str, Any]) -> None:
    t, data = transcript, dumps_transcript(transcript)
    v1 = rename_speakers(new_overlay(data), t, {"S1": "DC Hale"}, by="a", at=AT)
    with pytest.raises(ValueError, match="not in the transcript"):
        rename_speakers(v1, t, {"S7": "Nobody"}, by="a", at=AT)
    with pytest.raises(ValueError, match="4 speaker names"):
        names_in_order(t, "a,b,c,d")
    with pytest.raises(ValueError, match="one line"):
        rename_speakers(v1, t, {"S2": "two\nlines"}, by="a", at=AT)
    with pytest.raises(ValueError, match="another transcript"):
        load_overlay(dumps_overlay(v1), data + b" ", t)
    edited = dict(v1, speaker_names={"S1": "Someone else"})  # a name changed without an audit entry
    with pytest.raises(ValueError, match="history"):
        load_overlay(dumps_overlay(edited), data, t)
    removed = rename_speakers(v1, t, {"S1": None}, by="b", at=AT)
    assert removed["speaker_names"] == {} and removed["history"][-1]["changes"] == {"S1": ["DC Hale", None]}


def test_activities_pass_only_references_and_give_the_same_transcript(
        tmp_path: Path, turns_audio: dialogues.Dialogue, whisper_segments: list[Segment],
        transcript: dict[str, Any], _whisper_base_int8: Path) -> None:
    from functions.activities import read_json, write_json
    from functions.contracts import Diarize, DiarizeChunk
    from functions.diarize import diarize, diarize_chunk
    from shared.domain import Job, SourceRef

    d, cut = turns_audio, _cut(turns_audio)
    svc = build_local(make_settings(tmp_path, whisper_model_dir=_whisper_base_int8))
    set_services(svc)
    try:
        job = {"force_id": "met", "job_id": "job-speakers", "attempt": 1}
        svc.jobs.create(Job(job_id="job-speakers", force_id="met", options={"speakers": "3", "word_timestamps": True},
                            source=SourceRef(ref="incoming/met/interview.wav", name="interview.wav")))
        chunks = []
        for i, (a, b) in enumerate([(0, cut), (cut, d.audio.size)]):
            ref = f"chunks/job-speakers/a1/{i:05d}.flac"
            svc.blobs.upload(ref, encode_flac(d.audio[a:b]), overwrite=True, content_type="audio/flac")
            chunks.append(PlannedChunk(i, ref, a / SR, b / SR, ((0.0, (b - a) / SR),)))
        plan = ChunkPlan(tuple(chunks), d.duration, d.duration)
        plan_ref = write_json("work/job-speakers/a1/plan.json", plan.to_dict())
        merged_ref = write_json("work/job-speakers/a1/transcribe-merged.json", {
            "language": "en", "language_probability": None, "skipped": [],
            "segments": [s.to_dict() for s in whisper_segments]})
        outs = [diarize_chunk(DiarizeChunk(**job, plan_ref=plan_ref, index=i)).to_dict() for i in (1, 0)]
        result = diarize(Diarize(**job, merged_ref=merged_ref, refs=tuple(o["ref"] for o in outs))).to_dict()
        history = json.dumps([*outs, result])
        words = {w.text.strip(" ,.?").lower() for s in whisper_segments for w in s.words or ()}
        assert not [w for w in words if len(w) > 3 and w in history.lower()]  # no text in history
        assert result["speaker_count"] == 3 and result["segments"] == len(transcript["segments"])
        assert all(o["windows"] > 0 and o["regions"] > 0 for o in outs)
        again = _transcript(read_json(result["ref"]))
        assert dumps_transcript(again) == dumps_transcript(transcript)  # the same as the direct path
    finally:
        set_services(None)
