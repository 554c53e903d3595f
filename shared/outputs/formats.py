"""Render a canonical transcript (see ``shared.outputs.transcript``) as json, txt, srt, vtt or docx.

Subtitle tracks (srt/vtt): ``track="combined"`` (default) gives one cue per original segment whose text
is the original line followed, when there is a translation, by the translated line(s) placed beside it
(see ``layout.paired_rows``); ``"original"`` gives the original alone; ``"translation"`` gives the
translation segments with their own timing. json, txt and docx always carry everything.
All text outputs are UTF-8 without BOM, ``\\n`` line endings.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from shared.outputs.layout import (
    DISCLAIMER,
    NO_SPEECH,
    header_fields,
    joined_text,
    line_text,
    not_translated,
    paired_rows,
    segment_speaker,
    shows_tracks,
    source_speaker,
    speaker_prefix,
    timestamp,
    translation_lines,
    translation_title,
)
from shared.outputs.transcript import dumps_transcript

Format = Literal["json", "txt", "srt", "vtt", "docx"]
Track = Literal["combined", "original", "translation"]
FORMATS: tuple[Format, ...] = ("json", "txt", "srt", "vtt", "docx")
TRACKS: tuple[Track, ...] = ("combined", "original", "translation")
_CONTENT_TYPES = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_UNSAFE = re.compile(r"[^\w.\-]+")


def content_type(fmt: str) -> str:
    if fmt not in _CONTENT_TYPES:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    return _CONTENT_TYPES[fmt]


def file_name(stem: str, fmt: str) -> str:
    """``file_name("interview 1.wav", "srt")`` → ``"interview_1.wav.srt"``; unsafe characters become ``_``."""
    content_type(fmt)
    safe = _UNSAFE.sub("_", stem).strip("._") or "transcript"
    return f"{safe}.{fmt}"


def render(transcript: dict[str, Any], fmt: Format, track: Track = "combined",
           overlay: dict[str, Any] | None = None) -> bytes:
    """The transcript as ``fmt`` bytes. ``track`` applies to srt/vtt only. ``overlay`` (see
    ``shared.outputs.overlay``, checked by the caller with ``load_overlay``) supplies speaker names and
    the record's references; json is always the machine's transcript alone."""
    content_type(fmt)
    if track not in TRACKS:
        raise ValueError(f"unknown track {track!r}; expected one of {TRACKS}")
    if track != "combined" and fmt not in ("srt", "vtt"):
        raise ValueError(f"track={track!r} applies to srt and vtt only")
    if track == "translation" and transcript["translation"] is None:
        raise ValueError("track='translation' requested but the transcript has no translation")
    if fmt == "json":
        return dumps_transcript(transcript)
    if fmt == "txt":
        return render_txt(transcript, overlay).encode("utf-8")
    if fmt == "docx":
        from shared.outputs.docx_record import render_docx  # python-docx is only needed here

        return render_docx(transcript, overlay)
    return render_subtitles(transcript, fmt, track, overlay).encode("utf-8")


def _timed_lines(t: dict[str, Any], overlay: dict[str, Any] | None = None) -> list[str]:
    """One line per segment, with its speaker when diarized, and its track when the record mixes tracks."""
    segments, tracks = t["segments"], shows_tracks(t)
    if not segments:
        return [NO_SPEECH]
    out = []
    for s in segments:
        tag = f"Track {s['track']}: " if tracks and s.get("track") is not None else ""
        who = speaker_prefix(t, s, overlay)
        out.append(f"[{timestamp(s['start'])} --> {timestamp(s['end'])}] {tag}{who}{line_text(s['text'])}")
    return out


def _translation_lines(t: dict[str, Any], overlay: dict[str, Any] | None = None) -> list[str]:
    """Timed translated lines (with the speaker of the segment translated); a withheld passage is named
    in its place, with its times."""
    lines = translation_lines(t)
    if not lines:
        return [NO_SPEECH]
    return [not_translated(s) if s.get("withheld") else
            f"[{timestamp(s['start'])} --> {timestamp(s['end'])}] "
            f"{speaker_prefix(t, source_speaker(t, s), overlay)}{line_text(s['text'])}" for s in lines]


def render_txt(t: dict[str, Any], overlay: dict[str, Any] | None = None) -> str:
    fields = header_fields(t, overlay)
    width = max(len(label) for label, _ in fields) + 2
    out = ["Transcript", "=" * 10, *(f"{label + ':':<{width}}{value}" for label, value in fields), ""]
    out += _timed_lines(t, overlay)
    if t["translation"] is not None:
        title = translation_title(t)
        out += ["", title, "=" * len(title), *_translation_lines(t, overlay)]
    out += ["", DISCLAIMER]
    return "\n".join(out) + "\n"


def _cues(t: dict[str, Any], track: Track,
          overlay: dict[str, Any] | None) -> list[tuple[float, float, str | None, list[str]]]:
    """(start, end, who is speaking as shown or None, lines) per cue."""
    if track == "translation":
        return [(s["start"], s["end"], segment_speaker(source_speaker(t, s), overlay), [line_text(s["text"])])
                for s in translation_lines(t)]
    if track == "original":
        return [(s["start"], s["end"], segment_speaker(s, overlay), [line_text(s["text"])]) for s in t["segments"]]
    return [(s["start"], s["end"], segment_speaker(s, overlay), [line_text(s["text"]), joined_text(tr)])
            for s, tr in paired_rows(t)]


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_subtitles(t: dict[str, Any], fmt: Literal["srt", "vtt"], track: Track = "combined",
                     overlay: dict[str, Any] | None = None) -> str:
    """SubRip (``00:00:01,000``, 1-based cues) or WebVTT (``WEBVTT`` header, ``00:00:01.000``).

    Empty lines are dropped (a blank line would end the cue); a cue with no text left is skipped, so
    cue numbers count emitted cues. VTT text escapes ``& < >``; SRT text is written as is. A diarized
    cue names its speaker: SRT as ``S1: `` before its first line, VTT as a voice span ``<v S1>``
    on every line (the overlay's name instead of the label when there is one); an overlap segment
    as ``S1 + S2 (overlapping)``.
    """
    sep = "," if fmt == "srt" else "."
    out = ["WEBVTT", ""] if fmt == "vtt" else []
    n = 0
    for start, end, name, lines in _cues(t, track, overlay):
        lines = [_vtt_escape(x) if fmt == "vtt" else x for x in lines if x]
        if not lines:
            continue
        if name:
            if fmt == "vtt":
                lines = [f"<v {_vtt_escape(name)}>{x}</v>" for x in lines]
            else:
                lines = [f"{name}: {lines[0]}", *lines[1:]]
        n += 1
        out += [str(n), f"{timestamp(start, sep)} --> {timestamp(end, sep)}", *lines, ""]
    return "\n".join(out)  # every cue (and the VTT header) ends with "", so this ends with one newline
