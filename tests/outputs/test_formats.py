"""Renderings: txt, srt, vtt and docx, parsed back and compared with the transcript."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from shared.domain.transcript import Segment
from shared.outputs.formats import FORMATS, content_type, file_name, render
from shared.outputs.layout import DISCLAIMER, NO_SPEECH, timestamp
from shared.outputs.transcript import dumps_transcript
from tests.fixtures.outputs import ENGLISH, MODEL_SHA, MT_SHA, SOURCE_SHA, make_transcript

Cue = tuple[str, str, list[str]]
_SRT_TIME = r"(\d{2,}:\d{2}:\d{2},\d{3}) --> (\d{2,}:\d{2}:\d{2},\d{3})"
_VTT_TIME = r"(\d{2,}:\d{2}:\d{2}\.\d{3}) --> (\d{2,}:\d{2}:\d{2}\.\d{3})"


def parse_cues(text: str, fmt: str) -> list[Cue]:
    """Strict parser: numbered blocks separated by one blank line, exact timing line."""
    if fmt == "vtt":
        assert text.startswith("WEBVTT\n\n")
        text = text[len("WEBVTT\n\n"):]
    assert text.endswith("\n") and not text.endswith("\n\n")
    cues = []
    for n, block in enumerate(text[:-1].split("\n\n"), start=1):
        number, timing, *lines = block.split("\n")
        assert number == str(n)
        m = re.fullmatch(_SRT_TIME if fmt == "srt" else _VTT_TIME, timing)
        assert m, timing
        assert lines and all(lines)
        if fmt == "vtt":
            assert all("-->" not in x and "<" not in x for x in lines)
            lines = [x.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for x in lines]
        cues.append((m[1], m[2], lines))
    return cues


def expected_cues(segments: list[dict[str, Any]], sep: str, extra: list[str] | None = None) -> list[Cue]:
    return [(timestamp(s["start"], sep), timestamp(s["end"], sep),
             [s["text"].strip()] + ([extra[i]] if extra else [])) for i, s in enumerate(segments)]


@pytest.mark.parametrize(("seconds", "srt", "vtt"), [
    (3725.5, "01:02:05,500", "01:02:05.500"),
    (0.0, "00:00:00,000", "00:00:00.000"),
    (59.9996, "00:01:00,000", "00:01:00.000"),
    (36001.0004, "10:00:01,000", "10:00:01.000"),
    (359999.999, "99:59:59,999", "99:59:59.999"),
    (360000.0, "100:00:00,000", "100:00:00.000"),
])
def test_timestamps(seconds: float, srt: str, vtt: str) -> None:
    assert (timestamp(seconds, ","), timestamp(seconds)) == (srt, vtt)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_combine_original_and_english(fmt: str) -> None:
    t = make_transcript()
    sep = "," if fmt == "srt" else "."
    cues = parse_cues(render(t, fmt).decode("utf-8"), fmt)  # type: ignore[arg-type]
    assert cues == expected_cues(t["segments"], sep, ENGLISH)
    assert cues[4][:2] == (f"01:02:05{sep}500", f"01:02:07{sep}250")
    assert cues[5][:2] == (f"10:00:01{sep}000", f"10:00:03{sep}000")


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitle_tracks(fmt: str) -> None:
    sep = "," if fmt == "srt" else "."
    t = make_transcript("whisper-translate")
    original = parse_cues(render(t, fmt, track="original").decode(), fmt)  # type: ignore[arg-type]
    assert original == expected_cues(t["segments"], sep)
    translation = parse_cues(render(t, fmt, track="translation").decode(), fmt)  # type: ignore[arg-type]
    assert translation == expected_cues(t["translation"]["segments"], sep)
    assert parse_cues(render(make_transcript(None), fmt).decode(), fmt) == original  # type: ignore[arg-type]


def test_whisper_translate_lines_pair_by_overlap() -> None:
    """Independently timed English goes beside the original it overlaps most (or the nearest)."""
    cues = parse_cues(render(make_transcript("whisper-translate"), "srt").decode(), "srt")
    assert [c[2][1:] for c in cues] == [
        ["Good morning, my name is Łukasz Żółć."],
        ["My name is Ali and I am from Lahore."],  # 2.6-4.9 and 4.95-5.05 both inside 2.48-5.123
        [],
        ["(silence)"],  # 9.7-9.9 overlaps nothing; nearest is 8.0-9.5
        [], [],
    ]


def test_vtt_escapes_markup_and_srt_keeps_text() -> None:
    t = make_transcript(None)
    vtt, srt = render(t, "vtt").decode(), render(t, "srt").decode()
    assert "A &lt; B &amp; C &gt; D, then --&gt; arrow." in vtt
    assert "\nA < B & C > D, then --> arrow.\n" in srt


def test_txt_has_header_and_every_segment() -> None:
    t = make_transcript()
    txt = render(t, "txt").decode("utf-8")
    head, _, body = txt.partition("\n\n")
    for label, value in [("Source file:", "Interview 2025-03-01 Room 3.wav"), ("Source SHA-256:", SOURCE_SHA),
                         ("Duration:", "10:00:10.123"),
                         ("Language(s):", "Polish (pl), Urdu (ur), Arabic (ar), Chinese (zh), English (en)"),
                         ("Translation:", "English (en), text-model route, opus-mt-mul-en"),
                         ("Translation model SHA-256:", MT_SHA), ("Model:", "whisper-base (int8)"),
                         ("Model SHA-256:", MODEL_SHA), ("Created (UTC):", "2025-03-01T10:15:30Z")]:
        assert re.search(rf"^{re.escape(label)} +{re.escape(value)}$", head, re.M), label
    original, _, english = body.partition("\n\nEnglish translation\n===================\n")
    assert original.splitlines() == [
        f"[{timestamp(s['start'])} --> {timestamp(s['end'])}] {s['text'].strip()}" for s in t["segments"]]
    assert original.splitlines()[0] == "[00:00:00.000 --> 00:00:02.480] Dzień dobry, nazywam się Łukasz Żółć."
    assert original.splitlines()[1] == "[00:00:02.480 --> 00:00:05.123] میرا نام علی ہے اور میں لاہور سے ہوں۔"
    assert english.splitlines()[:-2] == [
        f"[{timestamp(s['start'])} --> {timestamp(s['end'])}] {s['text']}" for s in t["translation"]["segments"]]
    assert txt.endswith(f"\n\n{DISCLAIMER}\n")
    assert "English translation" not in render(make_transcript(None), "txt").decode()


def test_zero_segments_say_no_speech() -> None:
    t = make_transcript(None, [], skipped=[])
    txt = render(t, "txt").decode()
    assert f"\n\n{NO_SPEECH}\n\n{DISCLAIMER}\n" in txt and "-->" not in txt
    assert render(t, "srt") == b"" and render(t, "vtt") == b"WEBVTT\n"
    doc = docx.Document(io.BytesIO(render(t, "docx")))
    assert NO_SPEECH in [p.text for p in doc.paragraphs] and len(doc.tables) == 1


def test_very_long_text_and_line_breaks() -> None:
    long = "Świadek powiedział: " + ", ".join(["bardzo długie zdanie"] * 2000)
    segs = [Segment(1.0, 30.0, long + "\nsecond line", "pl", -0.1, 0.0, 2.0)]
    t = make_transcript(None, segs)
    line = long + " second line"
    assert len(line) > 40_000
    assert f"] {line}\n" in render(t, "txt").decode()
    assert parse_cues(render(t, "srt").decode(), "srt") == [("00:00:01,000", "00:00:30,000", [line])]
    doc = docx.Document(io.BytesIO(render(t, "docx")))
    assert f"[00:00:01.000 – 00:00:30.000] {line}" in [p.text for p in doc.paragraphs]


def _docx(t: dict[str, Any]) -> Any:
    return docx.Document(io.BytesIO(render(t, "docx")))


def test_docx_interview_record() -> None:
    t = make_transcript()
    doc = _docx(t)
    assert doc.paragraphs[0].text == "Transcript of recording" and doc.paragraphs[0].style.name == "Title"
    header = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert header["Source file"] == "Interview 2025-03-01 Room 3.wav" and header["Source SHA-256"] == SOURCE_SHA
    assert header["Duration"] == "10:00:10.123" and header["Model SHA-256"] == MODEL_SHA
    assert header["Language(s)"].startswith("Polish (pl), Urdu (ur)") and header["Model"] == "whisper-base (int8)"
    assert header["Created (UTC)"] == "2025-03-01T10:15:30Z" and header["Translation model SHA-256"] == MT_SHA
    lines = [p.text for p in doc.paragraphs if p.text.startswith("[")]
    assert lines == [f"[{timestamp(s['start'])} – {timestamp(s['end'])}] {s['text'].strip()}" for s in t["segments"]]
    table = doc.tables[1]
    assert [c.text for c in table.rows[0].cells] == ["Time", "Original (Polish)", "English"]
    assert [[c.text for c in r.cells] for r in table.rows[1:]] == [
        [f"{timestamp(s['start'])}\n{timestamp(s['end'])}", s["text"].strip(), en]
        for s, en in zip(t["segments"], ENGLISH, strict=True)]
    assert doc.paragraphs[-1].text == DISCLAIMER
    footer = doc.sections[0].footer.paragraphs[0]._p
    assert [f.get(qn("w:instr")) for f in footer.iter(qn("w:fldSimple"))] == ["PAGE", "NUMPAGES"]
    urdu = table.rows[2].cells[1].paragraphs[0]
    assert urdu.runs[0].font.rtl and urdu._p.pPr.find(qn("w:bidi")) is not None
    assert not table.rows[1].cells[1].paragraphs[0].runs[0].font.rtl
    assert len(_docx(make_transcript(None)).tables) == 1


def test_docx_is_deterministic() -> None:
    a, b = render(make_transcript(), "docx"), render(make_transcript(), "docx")
    assert a == b
    z = zipfile.ZipFile(io.BytesIO(a))
    assert {i.date_time for i in z.infolist()} == {(2025, 3, 1, 10, 15, 30)}
    core = z.read("docProps/core.xml").decode()
    assert core.count("2025-03-01T10:15:30Z") == 2 and "python-docx" not in core
    props = docx.Document(io.BytesIO(a)).core_properties
    assert (props.revision, props.author) == (1, "TOEX Transcribe & Translate")
    assert render(make_transcript(created_at="2025-03-02T00:00:00Z"), "docx") != a


def test_json_rendering_is_canonical() -> None:
    t = make_transcript()
    assert render(t, "json") == dumps_transcript(t)


def test_format_helpers() -> None:
    assert FORMATS == ("json", "txt", "srt", "vtt", "docx")
    assert content_type("vtt") == "text/vtt; charset=utf-8" and content_type("json") == "application/json"
    assert content_type("docx").endswith("wordprocessingml.document")
    assert file_name("Interview 1/../x", "srt") == "Interview_1_.._x.srt"
    assert file_name("wywiad-Łódź", "txt") == "wywiad-Łódź.txt" and file_name("..", "json") == "transcript.json"
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        content_type("pdf")
    with pytest.raises(ValueError, match="unknown format"):
        render(make_transcript(), "pdf")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="applies to srt and vtt only"):
        render(make_transcript(), "txt", track="original")
    with pytest.raises(ValueError, match="has no translation"):
        render(make_transcript(None), "srt", track="translation")


def test_withheld_passages_are_named_in_the_header_never_silently_missing() -> None:
    from tests.fixtures.outputs import make_transcript

    t = make_transcript(None, skipped=[(12.0, 29.6, "repetition")])
    txt = render(t, "txt").decode()
    assert "Not transcribed:" in txt and "00:00:12.000 to 00:00:29.600" in txt and "listen to this passage" in txt
    doc = docx.Document(io.BytesIO(render(t, "docx")))
    cells = [c.text for table in doc.tables for row in table.rows for c in row.cells]
    assert any("00:00:12.000 to 00:00:29.600" in c for c in cells)
