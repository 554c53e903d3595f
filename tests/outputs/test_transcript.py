"""transcript.json: shape, rounding, byte stability, schema conformance and validation errors."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shared.domain.transcript import Segment, TranscriptionOptions
from shared.outputs.transcript import SCHEMA_VERSION, build_transcript, dumps_transcript
from tests.fixtures.outputs import ENGLISH, LINES, MT_SHA, load_schema, make_segments, make_transcript

GOLDEN = Path(__file__).parent / "golden" / "transcript.json"
GOLDEN_PARAMS = {"task": "transcribe", "beam_size": 5, "temperatures": (0.0,), "language": None,
                 "language_candidates": ("pl", "ur"), "no_speech_threshold": 0.6, "word_timestamps": True}
VALIDATOR = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())


def test_builds_documented_layout_from_segments() -> None:
    t = make_transcript()
    assert list(t) == ["schema_version", "job_id", "source", "language", "language_probability", "speech_s",
                       "tracks", "segments", "skipped", "translation", "diarization", "model", "params", "created_at",
                       "software"]
    assert t["schema_version"] == SCHEMA_VERSION == "1.4"
    assert t["diarization"] is None and {s["speaker"] for s in t["segments"]} == {None}
    assert t["tracks"] == [{"id": 1, "stream": 0, "channel": None, "language": None, "label": "Track 1 (stream #0)",
                            "speech_s": 25.556}]
    assert {s["track"] for s in t["segments"]} == {1}
    assert t["skipped"] == [{"start": 12.0, "end": 29.6, "reason": "repetition"}]
    assert t["source"] == {"name": "Interview 2025-03-01 Room 3.wav", "sha256": "3f1c" * 16,
                           "duration_s": 36010.123, "size_bytes": 1_152_323_456, "format": "wav"}
    assert (t["language_probability"], t["speech_s"]) == (0.9877, 25.556)
    first, second, last = t["segments"][0], t["segments"][1], t["segments"][-1]
    assert [s["id"] for s in t["segments"]] == [1, 2, 3, 4, 5, 6]
    assert [s["text"] for s in t["segments"]] == [line[2] for line in LINES]  # verbatim, leading space kept
    assert [s["language"] for s in t["segments"]] == ["pl", "ur", "ar", "zh", "en", "pl"]
    assert second["end"] == 5.123 and (last["start"], last["end"]) == (36001.0, 36003.0)
    assert (first["avg_logprob"], first["no_speech_prob"], first["compression_ratio"]) == (-0.1235, 0.0123, 1.2346)
    assert first["words"] == [{"start": 0.0, "end": 0.62, "text": " Dzień", "probability": 0.9877, "speaker": None},
                              {"start": 0.62, "end": 1.1, "text": " dobry,", "probability": 0.9123, "speaker": None}]
    assert second["words"] is None
    tr = t["translation"]
    assert tr["route"] == "text-model" and tr["model"] == {"name": "opus-mt-mul-en", "sha256": MT_SHA}
    assert [(s["id"], s["source_id"], s["text"]) for s in tr["segments"]] == [
        (i, i, en) for i, en in enumerate(ENGLISH, start=1)]
    assert t["model"] == {"name": "whisper-base", "sha256": "a1b2" * 16, "precision": "int8"}
    opts = TranscriptionOptions(language_candidates=("pl", "ur")).to_dict()
    assert t["params"] == opts and list(t["params"]) == sorted(opts)
    assert t["params"]["temperatures"] == [0.0] and t["params"]["language_candidates"] == ["pl", "ur"]


def test_whisper_translate_segments_have_no_source_id() -> None:
    tr = make_transcript("whisper-translate")["translation"]
    assert tr["route"] == "whisper-translate"
    assert [(s["id"], s["start"], s["text"], s["source_id"]) for s in tr["segments"]][:2] == [
        (1, 0.1, " Good morning, my name is Łukasz Żółć.", None), (2, 2.6, " My name is Ali", None)]


def test_negative_zero_and_dict_params_are_normalised() -> None:
    seg = Segment(-0.0001, 0.0004, "x", "en", -0.00001, 0.0, 1.0)
    t = make_transcript(None, [seg], params={"b": (1, 2), "a": {"z": 1, "y": None}})
    s = t["segments"][0]
    assert (s["start"], s["end"], s["avg_logprob"]) == (0.0, 0.0, 0.0)
    assert b'"start": 0.0' in dumps_transcript(t) and b"-0.0" not in dumps_transcript(t)
    assert list(t["params"]) == ["a", "b"] and t["params"] == {"a": {"y": None, "z": 1}, "b": [1, 2]}


def test_dumps_is_byte_stable_and_round_trips() -> None:
    a, b = dumps_transcript(make_transcript()), dumps_transcript(make_transcript())
    assert a == b and a.endswith(b"}\n") and not a.endswith(b"\n\n")
    assert "Łukasz Żółć".encode() in a and "我今天早上九点到的".encode() in a and b"\\u" not in a
    loaded = json.loads(a)
    assert loaded == make_transcript() and dumps_transcript(loaded) == a
    assert json.loads(a) == make_transcript()


def test_matches_golden_file() -> None:
    """Layout stability: any change to transcript.json bytes must be deliberate (and versioned)."""
    assert dumps_transcript(make_transcript(params=GOLDEN_PARAMS)) == GOLDEN.read_bytes()


@pytest.mark.parametrize("translation", ["text-model", "whisper-translate", None])
def test_validates_against_json_schema(translation: str | None) -> None:
    VALIDATOR.validate(json.loads(dumps_transcript(make_transcript(translation))))
    VALIDATOR.validate(json.loads(dumps_transcript(make_transcript(translation, make_segments(False)))))


def test_zero_segments_validate() -> None:
    t = make_transcript(None, [], language_probability=None, speech_s=None)
    assert t["segments"] == [] and t["language_probability"] is None
    VALIDATOR.validate(json.loads(dumps_transcript(t)))
    assert json.loads(dumps_transcript(t)) == t


@pytest.mark.parametrize(("change", "message"), [
    ({"job_id": ""}, "job_id: expected a non-empty string"),
    ({"created_at": "yesterday"}, "created_at: not an ISO-8601 timestamp"),
    ({"source": {"name": "a.wav", "sha256": "xyz", "duration_s": 1.0}}, "source.sha256: expected 64 hex digits"),
    ({"source": {"name": "a.wav", "sha256": "0" * 64, "duration_s": float("nan")}},
     "source.duration_s: expected a finite number"),
    ({"source": {"name": "a.wav", "sha256": "0" * 64, "duration_s": 1.0, "size_bytes": -1}},
     "source.size_bytes: expected a non-negative integer"),
    ({"language_probability": 1.5}, "language_probability: 1.5 is outside"),
    ({"segments": [Segment(0, 1, "x", "en", float("-inf"), 0.0, 1.0)]}, "segments[0].avg_logprob: expected a finite"),
    ({"translation": {"language": "en", "route": "google", "model": {}, "segments": []}}, "translation.route"),
    ({"translation": {"language": "en", "route": "text-model", "model": {"name": "m", "sha256": "0" * 64},
                      "segments": [{"start": 0, "end": 1, "text": "x", "source_id": 99}]}},
     "translation.segments[0].source_id: 99 is not a segment id"),
    ({"model": {"name": "whisper-base", "sha256": "0" * 64}}, "model.precision: expected a non-empty string"),
    ({"params": {"beam_size": object()}}, "params.beam_size: object is not JSON-serialisable"),
    ({"params": {"x": float("inf")}}, "params.x: non-finite number"),
])
def test_build_rejects_bad_input(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make_transcript(None, **change)


def _mutated(fn: Any) -> bytes:
    d = copy.deepcopy(make_transcript())
    fn(d)
    return json.dumps(d, ensure_ascii=False).encode()


def _problems(errors: Any) -> Iterator[tuple[str, str]]:
    """(JSON path, message) of every schema error, those inside ``oneOf``/``anyOf`` branches too."""
    for e in errors:
        yield e.json_path, e.message
        yield from _problems(e.context)


@pytest.mark.parametrize(("mutate", "where", "what"), [
    (lambda d: d.pop("segments"), "$", "'segments' is a required property"),
    (lambda d: d.update(schema_version="2.0"), "$.schema_version", "'2.0'"),
    (lambda d: d.pop("schema_version"), "$", "'schema_version' is a required property"),
    (lambda d: d["source"].pop("sha256"), "$.source", "'sha256' is a required property"),
    (lambda d: d["segments"][2].update(start="5.2"), "$.segments[2].start", "'5.2'"),
    (lambda d: d["segments"][0]["words"][1].pop("probability"), "$.segments[0].words[1]", "'probability'"),
    (lambda d: d.update(segments={}), "$.segments", "{}"),
    (lambda d: d["translation"].update(route="deepl"), "$.translation.route", "'deepl'"),
    (lambda d: d["translation"]["segments"][0].update(source_id=True), "$.translation.segments[0].source_id",
     "True"),
    (lambda d: d.update(model=None), "$.model", "None"),
])
def test_the_published_schema_rejects_malformed_transcripts_where_they_are_wrong(mutate: Any, where: str,
                                                                                   what: str) -> None:
    problems = list(_problems(VALIDATOR.iter_errors(json.loads(_mutated(mutate)))))
    assert any(path == where and what in message for path, message in problems), problems


def test_a_reader_of_the_schema_accepts_an_additive_minor_version() -> None:
    d = make_transcript()
    d["schema_version"] = "1.4"
    d["speaker_labels"] = []
    VALIDATOR.validate(d)


def test_build_accepts_transcription_options_or_dict_equally() -> None:
    opts = TranscriptionOptions(beam_size=1, word_timestamps=True)
    a = build_transcript(**_args(params=opts))
    b = build_transcript(**_args(params=opts.to_dict()))
    assert dumps_transcript(a) == dumps_transcript(b)


def _args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        job_id="job-1", source={"name": "a.wav", "sha256": "0" * 64, "duration_s": 1.0}, language="en",
        language_probability=None, segments=[], translation=None,
        model={"name": "m", "sha256": "1" * 64, "precision": "fp32"}, params={}, created_at="2025-01-01T00:00:00Z",
        software={"name": "toex-transcribe", "version": "0.1.0"},
    )
    args.update(overrides)
    return args
