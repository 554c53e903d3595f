"""Pieces shared by the human-readable renderings: timestamps, header fields, original/translation rows."""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import Any

from shared.outputs.languages import language_label, language_name

NO_SPEECH = "No speech detected."
DISCLAIMER = ("This is a machine-generated transcript. It must be checked against the original recording "
              "before it is relied upon.")
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def timestamp(seconds: float, sep: str = ".") -> str:
    """``3725.5`` → ``01:02:05.500`` (``sep=","`` for SubRip). Hours widen past 99."""
    ms = round(max(seconds, 0.0) * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def line_text(text: str) -> str:
    """Segment text as one display line: line breaks become spaces, outer whitespace trimmed."""
    return _BREAKS.sub(" ", text).strip()


def joined_text(segments: list[dict[str, Any]]) -> str:
    """Several segments' text as one display line."""
    return " ".join(x for x in (line_text(s["text"]) for s in segments) if x)


def is_rtl(text: str) -> bool:
    """True when right-to-left letters (Arabic, Urdu, Hebrew…) outnumber left-to-right ones."""
    rtl = ltr = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        rtl += kind in ("R", "AL")
        ltr += kind == "L"
    return rtl > ltr


def languages(t: dict[str, Any]) -> list[str]:
    """The transcript's language first, then any other segment languages in order of appearance."""
    seen = [t["language"]]
    for s in t["segments"]:
        if s["language"] not in seen:
            seen.append(s["language"])
    return seen


def translation_title(t: dict[str, Any]) -> str:
    """``"English translation"``, ``"Polish translation"``, …"""
    return f"{language_name(t['translation']['language'])} translation"


SKIP_REASONS = {"repetition": "the model's output repeated itself and was withheld; listen to this passage",
                "no_speech_heard": "text written where no speech was heard (a click or room tone) was withheld"}
# why a passage's translation was withheld (schema 1.2 ``translation.skipped``); any other reason is a
# guard of ``shared.translation_guard`` refusing an unverifiable machine translation
NOT_TRANSLATED_REASONS = {"no_route": "no configured model translates its language",
                          "same_language": "the passage is already in the translation's language"}
UNVERIFIED = "the machine translation could not be verified"
ORIGINAL_SHOWN = "the original-language transcript is shown"


def not_translated(gap: dict[str, Any], with_times: bool = True) -> str:
    """``Not translated: 00:00:03.000 to 00:00:09.000, the machine translation could not be verified; …``"""
    why = f"{NOT_TRANSLATED_REASONS.get(gap['reason'], UNVERIFIED)}; {ORIGINAL_SHOWN}"
    if not with_times:
        return f"Not translated: {why}"
    return f"Not translated: {timestamp(gap['start'])} to {timestamp(gap['end'])}, {why}"


def translation_lines(t: dict[str, Any]) -> list[dict[str, Any]]:
    """The translation's segments and, in their place, a marker for each withheld passage, time order.

    A marker is ``{start, end, text, source_id: None, reason, withheld: True}`` whose text names the gap.
    """
    tr = t["translation"]
    marks = [{"start": g["start"], "end": g["end"], "text": not_translated(g, with_times=False),
              "source_id": None, "reason": g["reason"], "withheld": True} for g in tr.get("skipped") or ()]
    return sorted([*tr["segments"], *marks], key=lambda s: (s["start"], s["end"]))


def speaker_name(overlay: dict[str, Any] | None, label: str) -> str:
    """The name the overlay gives speaker `label`, else the machine label itself (``S1``)."""
    return ((overlay or {}).get("speaker_names") or {}).get(label) or label


def segment_speaker(segment: dict[str, Any], overlay: dict[str, Any] | None) -> str | None:
    """Who a segment is shown as: its speaker's name (``DC Hale`` / ``S2``); for an overlap segment
    (1.4) all its speakers, ``"DC Hale + S2 (overlapping)"``; None when it has no speaker."""
    if segment.get("overlap"):
        return " + ".join(speaker_name(overlay, label) for label in segment["speakers"]) + " (overlapping)"
    label = segment.get("speaker")
    return speaker_name(overlay, label) if label else None


def speaker_prefix(t: dict[str, Any], segment: dict[str, Any], overlay: dict[str, Any] | None) -> str:
    """``"DC Hale: "`` / ``"S2: "`` / ``"S1 + S2 (overlapping): "`` before a diarized segment's text,
    else ``""``."""
    who = segment_speaker(segment, overlay)
    return f"{who}: " if who else ""


def source_speaker(t: dict[str, Any], translated: dict[str, Any]) -> dict[str, Any]:
    """The original segment a translation segment translates (``source_id``), or ``{}``."""
    sid = translated.get("source_id")
    if sid is None or not 1 <= sid <= len(t["segments"]):
        return {}
    return t["segments"][sid - 1]


def record_fields(t: dict[str, Any], overlay: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The record of interview's references and persons present (overlay), then the speakers heard
    (``S1`` with its name, speaking time, first appearance) and who named them — no transcript text."""
    fields: list[tuple[str, str]] = []
    record = (overlay or {}).get("record") or {}
    if record.get("case_reference"):
        fields.append(("Case reference", record["case_reference"]))
    if record.get("exhibit_reference"):
        fields.append(("Exhibit reference", record["exhibit_reference"]))
    if record.get("persons_present"):
        fields.append(("Persons present", "; ".join(record["persons_present"])))
    d = t.get("diarization")
    if d:
        how = "automatic count" if d["requested"] == "auto" else f"count given: {d['requested']}"
        fields.append(("Speakers", f"{d['speaker_count']} ({how}, {d['model']['name']})"))
        for row in sorted(d["speakers"], key=lambda r: (r["first_appearance"], int(r["id"][1:]))):
            name = speaker_name(overlay, row["id"])
            who = f"{name} ({row['id']})" if name != row["id"] else row["id"]
            fields.append(("Speaker", f"{who}: {row['speaking_time']:.1f} s of speech, first heard at "
                                      f"{timestamp(row['first_appearance'])}"))
        if d.get("overlaps"):
            total = sum(o["end"] - o["start"] for o in d["overlaps"])
            fields.append(("Overlapping speech",
                           f"{len(d['overlaps'])} stretches, {total:.1f} s (two speakers at once)"))
        names = [h for h in (overlay or {}).get("history") or () if h["action"] == "speaker_names"]
        if names and overlay is not None:
            fields.append(("Speaker names", f"added by people, not the machine: overlay version {overlay['version']}"
                                            f", last changed by {names[-1]['by']} at {names[-1]['at']}"))
    return fields


def header_fields(t: dict[str, Any], overlay: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs describing the recording, model and run — never any transcript text."""
    src, model, tr = t["source"], t["model"], t["translation"]
    fields = [
        *(f for f in record_fields(t, overlay) if f[0] in ("Case reference", "Exhibit reference", "Persons present")),
        ("Source file", src["name"]),
        ("Source SHA-256", src["sha256"]),
        ("Duration", timestamp(src["duration_s"])),
        ("Language(s)", ", ".join(language_label(code) for code in languages(t))),
        *(f for f in record_fields(t, overlay)
          if f[0] in ("Speakers", "Speaker", "Overlapping speech", "Speaker names")),
    ]
    if tr is not None:
        fields.append(("Translation", f"{language_label(tr['language'])}, {tr['route']} route, {tr['model']['name']}"))
        if tr["route"] == "text-model":
            fields.append(("Translation model SHA-256", tr["model"]["sha256"]))
    for track in t.get("tracks") or ():  # schema 1.2: every audio track searched for speech
        found = track.get("speech_s")
        heard = "speech not measured" if found is None else "no speech detected" if found == 0 else "speech found"
        fields.append(("Audio track", f"{track['label']}: {heard}"))
    for gap in t.get("skipped") or ():  # schema 1.1; never text, only where and why
        reason = SKIP_REASONS.get(gap["reason"], gap["reason"])
        fields.append(("Not transcribed", f"{timestamp(gap['start'])} to {timestamp(gap['end'])} ({reason})"))
    for gap in (tr or {}).get("skipped") or ():  # schema 1.2
        fields.append(("Not translated", not_translated(gap).removeprefix("Not translated: ")))
    fields += [
        ("Model", f"{model['name']} ({model['precision']})"),
        ("Model SHA-256", model["sha256"]),
        ("Job ID", t["job_id"]),
        ("Created (UTC)", t["created_at"]),
        ("Software", f"{t['software']['name']} {t['software']['version']}"),
    ]
    return fields


def shows_tracks(t: dict[str, Any]) -> bool:
    """Whether segment lines name their track: only when speech came from more than one track."""
    return len({s.get("track") for s in t["segments"]} - {None}) > 1


def track_prefix(t: dict[str, Any], segment: dict[str, Any]) -> str:
    """``"Track 2: "`` before a segment's text when the record mixes tracks, else ``""``."""
    return f"Track {segment['track']}: " if segment.get("track") is not None and shows_tracks(t) else ""


def paired_rows(t: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each original segment with the translation segments (and withheld-passage markers) beside it.

    A translation segment goes to its ``source_id`` segment when it has one, otherwise (whisper's own
    translate task, independently timed) to the original segment it overlaps most, else the nearest.
    Every translation segment lands in exactly one row, in order.
    """
    segs = t["segments"]
    rows: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [(s, []) for s in segs]
    tr = t["translation"]
    if tr is None or not segs:
        return rows
    by_id = {s["id"]: i for i, s in enumerate(segs)}
    order = sorted(range(len(segs)), key=lambda i: segs[i]["start"])
    starts = [segs[i]["start"] for i in order]
    longest = max(s["end"] - s["start"] for s in segs)
    for ts in translation_lines(t):
        i = by_id.get(ts["source_id"]) if ts.get("source_id") is not None else None
        rows[i if i is not None else _closest(segs, order, starts, longest, ts)][1].append(ts)
    return rows


def _closest(segs: list[dict[str, Any]], order: list[int], starts: list[float], longest: float,
             ts: dict[str, Any]) -> int:
    """Index of the segment overlapping ``ts`` most; with no overlap, the one whose midpoint is nearest."""
    hi = bisect.bisect_left(starts, ts["end"])
    best, best_overlap = -1, 0.0
    for k in range(hi - 1, -1, -1):
        s = segs[order[k]]
        if s["start"] < ts["start"] - longest:
            break
        overlap = min(s["end"], ts["end"]) - max(s["start"], ts["start"])
        if overlap > best_overlap or (overlap == best_overlap > 0 and order[k] < best):
            best, best_overlap = order[k], overlap
    if best >= 0:
        return best
    mid = (ts["start"] + ts["end"]) / 2
    return min(range(len(segs)), key=lambda i: (abs((segs[i]["start"] + segs[i]["end"]) / 2 - mid), i))
