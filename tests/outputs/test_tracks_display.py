"""Audio tracks in the record: the header names every track searched, segment lines name their track
when the speech came from more than one."""

from __future__ import annotations

import io
from dataclasses import replace

import docx

from shared.outputs.formats import render
from shared.outputs.layout import timestamp
from tests.fixtures.outputs import make_segments, make_transcript

TRACKS = [
    {"number": 1, "stream_index": 1, "channel": 0, "channels": 2, "language": "eng",
     "label": "Track 1 (stream #1, eng, stereo left)", "speech_s": 12.5},
    {"number": 2, "stream_index": 1, "channel": 1, "channels": 2, "language": "eng",
     "label": "Track 2 (stream #1, eng, stereo right)", "speech_s": 9.0},
    {"number": 3, "stream_index": 2, "channel": None, "channels": 1, "language": None,
     "label": "Track 3 (stream #2)", "speech_s": 0.0},
]


def _two_track_transcript() -> dict:  # type: ignore[type-arg]
    segs = [replace(s, track=1 + i % 2) for i, s in enumerate(make_segments())]
    return make_transcript(None, segs, tracks=TRACKS)


def test_txt_names_every_track_and_the_track_of_each_line() -> None:
    t = _two_track_transcript()
    assert [k["id"] for k in t["tracks"]] == [1, 2, 3] and t["tracks"][0]["channel"] == 0
    txt = render(t, "txt").decode()
    head, _, body = txt.partition("\n\n")
    assert "Audio track:" in head
    for line in ("Track 1 (stream #1, eng, stereo left): speech found",
                 "Track 2 (stream #1, eng, stereo right): speech found", "Track 3 (stream #2): no speech detected"):
        assert line in head
    lines = body.splitlines()[: len(t["segments"])]
    assert lines == [f"[{timestamp(s['start'])} --> {timestamp(s['end'])}] Track {s['track']}: {s['text'].strip()}"
                     for s in t["segments"]]  # fmt: skip


def test_docx_names_the_track_of_each_paragraph() -> None:
    t = _two_track_transcript()
    doc = docx.Document(io.BytesIO(render(t, "docx")))
    header = [(row.cells[0].text, row.cells[1].text) for row in doc.tables[0].rows]
    assert ("Audio track", "Track 3 (stream #2): no speech detected") in header
    lines = [p.text for p in doc.paragraphs if p.text.startswith("[")]
    assert lines == [f"[{timestamp(s['start'])} – {timestamp(s['end'])}] Track {s['track']}: {s['text'].strip()}"
                     for s in t["segments"]]  # fmt: skip


def test_one_track_with_speech_needs_no_track_on_each_line() -> None:
    t = make_transcript(None, tracks=TRACKS)  # every segment on track 1
    body = render(t, "txt").decode().partition("\n\n")[2]
    assert "] Track" not in body and "Track 1" not in body
    assert "Track 3 (stream #2): no speech detected" in render(t, "txt").decode()
