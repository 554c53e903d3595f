"""Overlap segments (schema 1.4): built, validated against the published schema, and shown in every format.

Layout only; the detection itself is tested on real audio in tests/diarization/test_overlap.py."""

from __future__ import annotations

import io
from typing import Any

import jsonschema
import pytest
from docx import Document

from shared.outputs.formats import render
from shared.outputs.overlay import new_overlay, rename_speakers
from shared.outputs.transcript import dumps_transcript
from tests.fixtures.outputs import load_schema, make_segments, make_transcript

VALIDATOR = jsonschema.Draft202012Validator(load_schema())
LABELS: list[Any] = [("S1", "S2"), "S2", "S1", "S2", "S1", "S2"]
OVERLAP = {"start": 0.0, "end": 1.2, "speakers": ["S1", "S2"]}


def _block(overlaps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"model": {"name": "speaker-resemblyzer", "sha256": "ef" * 32}, "requested": "auto",
            "speakers": [{"id": "S1", "speaking_time": 3.2, "first_appearance": 0.0},
                         {"id": "S2", "speaking_time": 4.1, "first_appearance": 2.48}],
            "overlaps": overlaps}


def _transcript(labels: list[Any] = LABELS) -> dict[str, Any]:
    return make_transcript(None, make_segments(), speakers=labels, diarization=_block([OVERLAP]))


def test_overlap_segment_shape_is_valid_and_only_on_overlaps() -> None:
    t = _transcript()
    VALIDATOR.validate(t)
    seg = t["segments"][0]
    assert seg["speaker"] is None and seg["overlap"] is True and seg["speakers"] == ["S1", "S2"]
    assert list(seg)[-3:] == ["speaker", "overlap", "speakers"]
    assert seg["words"] and all(w["speaker"] is None for w in seg["words"])
    assert all("overlap" not in s and "speakers" not in s for k, s in enumerate(t["segments"]) if k != 0)
    assert t["diarization"]["overlaps"] == [OVERLAP]
    assert dumps_transcript(t) == dumps_transcript(_transcript())


def test_schema_refuses_an_overlap_without_its_speakers() -> None:
    t = _transcript()
    del t["segments"][0]["speakers"]
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(t)
    t = _transcript()
    t["segments"][0]["speakers"] = ["S1"]
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(t)


@pytest.mark.parametrize(("label", "message"), [
    (("S1",), "two or more distinct speakers"),
    (("S1", "S3"), "S3"),
    (("S2", "S1"), "label order"),
])
def test_build_refuses_bad_overlap_labels(label: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _transcript([label, "S2", "S1", "S2", "S1", "S2"])
    with pytest.raises(ValueError, match=message):
        make_transcript(None, make_segments(), speakers=["S1"] * 6,
                        diarization=_block([{"start": 1.0, "end": 2.0, "speakers": list(label)}]))


def test_every_format_shows_both_speakers() -> None:
    t = _transcript()
    overlay = rename_speakers(new_overlay(dumps_transcript(t)), t, {"S1": "DC Hale"}, by="pc",
                              at="2026-12-01T12:00:00Z")
    text = t["segments"][0]["text"].strip()
    txt = render(t, "txt", overlay=overlay).decode()
    assert f"] DC Hale + S2 (overlapping): {text}" in txt
    assert "Overlapping speech:" in txt and "1 stretches, 1.2 s" in txt
    assert f"\nS1 + S2 (overlapping): {text}\n" in render(t, "srt").decode()
    assert f"<v DC Hale + S2 (overlapping)>{text}</v>" in render(t, "vtt", overlay=overlay).decode()
    table = Document(io.BytesIO(render(t, "docx", overlay=overlay))).tables[-1]
    assert [r.cells[1].text for r in table.rows[1:]] == ["DC Hale + S2 (overlapping)", "S2", "DC Hale", "S2",
                                                         "DC Hale", "S2"]
