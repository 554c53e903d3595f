"""Speaker labels beside a translation (layout only; real diarization is tested in tests/diarization)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document

from shared.outputs.formats import render
from shared.outputs.overlay import new_overlay, rename_speakers
from shared.outputs.renaming import renamed
from shared.outputs.transcript import dumps_transcript
from tests.fixtures.outputs import make_segments, make_transcript

LABELS = ["S1", "S2", "S1", "S2", "S1", "S2"]


def _diarized(route: str | None = "text-model") -> dict[str, Any]:
    block = {"model": {"name": "speaker-resemblyzer", "sha256": "ef" * 32}, "requested": "2-4",
             "speakers": [{"id": "S1", "speaking_time": 3.2, "first_appearance": 0.0},
                          {"id": "S2", "speaking_time": 4.1, "first_appearance": 2.48}]}
    return make_transcript(route, make_segments(), speakers=LABELS, diarization=block)


def test_translation_sits_beside_its_speaker_line() -> None:
    t = _diarized()
    overlay = rename_speakers(new_overlay(dumps_transcript(t)), t, {"S2": "Ali"}, by="pc", at="2026-12-01T12:00:00Z")
    txt = render(t, "txt", overlay=overlay).decode()
    assert "Speakers:                  2 (count given: 2-4, speaker-resemblyzer)" in txt
    assert "] Ali: My name is Ali and I am from Lahore." in txt and "] S1: Hello, how are you?" in txt
    srt = render(t, "srt", track="translation", overlay=overlay).decode()
    assert "\nAli: My name is Ali and I am from Lahore.\n" in srt
    table = Document(io.BytesIO(render(t, "docx", overlay=overlay))).tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["Time", "Speaker", "Original (Polish)", "English"]
    assert [r.cells[1].text for r in table.rows[1:]] == ["S1", "Ali", "S1", "Ali", "S1", "Ali"]
    assert table.rows[2].cells[3].text == "My name is Ali and I am from Lahore."


def test_not_diarized_outputs_are_unchanged() -> None:
    t = make_transcript()
    assert "Speaker" not in render(t, "txt").decode() and "<v " not in render(t, "vtt").decode()


@pytest.mark.parametrize(("speakers", "block", "message"), [
    (["S1"] * 6, None, "without a diarization block"),
    (["S1", "S3", "S1", "S2", "S1", "S2"], {}, "S3"),
    (LABELS[:5], {}, "5 labels for 6 segments"),
])
def test_build_refuses_inconsistent_speakers(speakers: list[str], block: dict[str, Any] | None, message: str) -> None:
    full = _diarized()["diarization"]
    with pytest.raises(ValueError, match=message):
        make_transcript(None, make_segments(), speakers=speakers, diarization=None if block is None else
                        {"model": full["model"], "requested": "auto", "speakers": full["speakers"]})


def test_renamed_gives_the_new_overlay_and_every_other_format_rendered_with_it() -> None:
    t = _diarized()
    data = dumps_transcript(t)
    v0 = new_overlay(data)
    v1, renderings = renamed(data, t, v0, {"S1": "DC Hale"}, ["json", "txt", "srt"], by="pc", at="2026-12-01T12:00:00Z")
    assert v1["version"] == 1 and v1["speaker_names"] == {"S1": "DC Hale"}
    assert sorted(renderings) == ["srt", "txt"]  # transcript.json is the machine's, never rendered again
    assert renderings["txt"] == render(t, "txt", overlay=v1) and b"] DC Hale: Hello, how are you?" in renderings["txt"]
    same, _ = renamed(data, t, v1, {"S1": "DC Hale"}, ["txt"], by="pc", at="2026-12-01T12:05:00Z")
    assert same == v1  # nothing changed: the same version, and nothing for the caller to write
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        renamed(data, t, v1, {"S2": "Ali"}, ["txt", "pdf"], by="pc", at="2026-12-01T12:05:00Z")
    with pytest.raises(ValueError, match="not in the transcript"):
        renamed(data, t, v1, {"S9": "Nobody"}, ["txt"], by="pc", at="2026-12-01T12:05:00Z")
