"""Withheld translations (schema 1.2 ``translation.skipped``) are named in every rendering."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import pytest
from docx import Document

from shared.outputs.formats import render
from shared.outputs.transcript import dumps_transcript
from tests.fixtures.outputs import ENGLISH, MT_SHA, load_schema, make_segments, make_transcript

VALIDATOR = jsonschema.Draft202012Validator(load_schema())
LINE = ("Not translated: 00:00:02.480 to 00:00:05.123, the machine translation could not be verified; "
        "the original-language transcript is shown")
WITHHELD_TEXT = "I hope you enjoyed this video, please subscribe to the channel"


def withheld_transcript() -> dict[str, Any]:
    """Segment 2's translation withheld by the stock-phrase guard, segment 3's language has no model."""
    segs = make_segments()
    shown = [{"start": s.start, "end": s.end, "text": en, "source_id": i, "route": "whisper-translate"}
             for i, (s, en) in enumerate(zip(segs, ENGLISH, strict=True), start=1) if i not in (2, 3)]
    translation = {
        "language": "en", "route": "text-model", "model": {"name": "opus-mt-mul-en", "sha256": MT_SHA},
        "segments": shown,
        "skipped": [
            {"start": segs[1].start, "end": segs[1].end, "reason": "stock_phrase", "route": "whisper-translate"},
            {"start": segs[2].start, "end": segs[2].end, "reason": "no_route", "route": None}],
    }
    return make_transcript(translation=translation)


def test_json_lists_withheld_passages_with_the_transcript_skipped_shape_and_validates() -> None:
    t = withheld_transcript()
    tr = t["translation"]
    assert tr["skipped"][0] == {"start": 2.48, "end": 5.123, "reason": "stock_phrase", "route": "whisper-translate"}
    assert set(tr["skipped"][0]) - {"route"} == set(t["skipped"][0])  # the transcript's skipped keys, plus route
    assert [s["source_id"] for s in tr["segments"]] == [1, 4, 5, 6]
    assert all(s["route"] == "whisper-translate" for s in tr["segments"])
    data = dumps_transcript(t)
    VALIDATOR.validate(json.loads(data))
    assert json.loads(data) == t


@pytest.mark.parametrize("change", [lambda g: g.pop("reason"), lambda g: g.update(start="3")])
def test_the_published_schema_refuses_a_malformed_withheld_entry(change: Any) -> None:
    d = json.loads(dumps_transcript(withheld_transcript()))
    VALIDATOR.validate(d)
    change(d["translation"]["skipped"][0])
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(d)


def test_build_refuses_an_unknown_route_on_a_withheld_entry() -> None:
    t = withheld_transcript()
    bad = {**t["translation"], "skipped": [{"start": 1.0, "end": 2.0, "reason": "stock_phrase", "route": "google"}]}
    with pytest.raises(ValueError, match=r"translation.skipped\[0\].route"):
        make_transcript(translation=bad)


def test_txt_names_each_withheld_passage_in_the_header_and_in_its_place() -> None:
    txt = render(withheld_transcript(), "txt").decode()
    header, _, body = txt.partition("\n\n")
    assert "Not translated:" in header and "00:00:02.480 to 00:00:05.123, the machine translation" in header
    english = body.partition("English translation\n===================\n")[2]
    lines = english.splitlines()
    assert lines[0].startswith("[00:00:00.000 --> 00:00:02.480] Good morning")
    assert lines[1] == LINE
    assert lines[2] == ("Not translated: 00:00:05.200 to 00:00:07.900, no configured model translates its "
                        "language; the original-language transcript is shown")
    assert WITHHELD_TEXT not in txt


def test_docx_names_the_withheld_passage_beside_its_original() -> None:
    doc = Document(io.BytesIO(render(withheld_transcript(), "docx")))
    header, table = doc.tables[0], doc.tables[1]
    assert any(r.cells[0].text == "Not translated" and r.cells[1].text.startswith("00:00:02.480 to 00:00:05.123")
               for r in header.rows)
    row = next(r for r in table.rows if r.cells[0].text.startswith("00:00:02.480"))
    assert row.cells[2].text == ("Not translated: the machine translation could not be verified; "
                                 "the original-language transcript is shown")
    assert row.cells[1].text.startswith("میرا نام")  # the original stays beside it


def test_subtitles_mark_the_gap() -> None:
    srt = render(withheld_transcript(), "srt").decode()
    assert "Not translated: the machine translation could not be verified" in srt
    assert "Not translated:" in render(withheld_transcript(), "vtt", track="translation").decode()
