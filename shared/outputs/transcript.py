"""The canonical ``transcript.json``: build (validating every field) and serialise byte-stably.

The layout is documented in ``docs/transcript-schema.md``; ``docs/transcript.schema.json`` is the
published schema a reader validates against (the tests check every built transcript against it).
Times are rounded to 3 decimals and probabilities / scores to 4, so the same inputs always
give the same bytes. Text is stored verbatim (no stripping, no Unicode normalisation).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import metadata
from typing import Any

from shared.domain.transcript import Segment, TranscriptionOptions

SCHEMA_VERSION = "1.4"
SOFTWARE_NAME = "toex-transcribe"
ROUTES = ("text-model", "whisper-translate")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SPEAKER = re.compile(r"^S[1-9][0-9]*$")
_COUNT = re.compile(r"^(auto|[1-9][0-9]*(-[1-9][0-9]*)?)$")


def default_software() -> dict[str, str]:
    """``{name, version}`` of this package (version ``"unknown"`` when it is not installed)."""
    try:
        version = metadata.version(SOFTWARE_NAME)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"name": SOFTWARE_NAME, "version": version}


def _num(x: Any, nd: int, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    """Round a finite number in ``[lo, hi]`` to ``nd`` decimals (``-0.0`` becomes ``0.0``)."""
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise ValueError(f"{what}: expected a finite number, got {x!r}")
    if not lo <= x <= hi:
        raise ValueError(f"{what}: {x!r} is outside [{lo}, {hi}]")
    return round(float(x), nd) + 0.0


def _prob(x: Any, what: str) -> float:
    return _num(x, 4, what, 0.0, 1.0)


def _opt(x: Any, what: str, conv: Any) -> float | None:
    return None if x is None else conv(x, what)


def _seconds(x: Any, what: str) -> float:
    return _num(x, 3, what, 0.0)


def _str(x: Any, what: str) -> str:
    if not isinstance(x, str) or not x:
        raise ValueError(f"{what}: expected a non-empty string, got {x!r}")
    return x


def _sha(x: Any, what: str) -> str:
    s = _str(x, what).lower()
    if not _SHA256.match(s):
        raise ValueError(f"{what}: expected 64 hex digits")
    return s


def _jsonable(v: Any, what: str) -> Any:
    """Params as given, made JSON-safe: tuples → lists, mapping keys sorted, non-finite floats refused."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{what}: non-finite number {v!r}")
        return v
    if isinstance(v, Mapping):
        return {str(k): _jsonable(v[k], f"{what}.{k}") for k in sorted(v, key=str)}
    if isinstance(v, list | tuple):
        return [_jsonable(x, f"{what}[{i}]") for i, x in enumerate(v)]
    raise ValueError(f"{what}: {type(v).__name__} is not JSON-serialisable")


Label = str | tuple[str, ...] | None  # a segment's speaker; a tuple of 2+ speakers marks an overlap (1.4)


def _segment(i: int, s: Segment, label: Label = None) -> dict[str, Any]:
    at = f"segments[{i - 1}]"
    speaker = label if not isinstance(label, tuple) else None
    words = None if s.words is None else [
        {"start": _num(w.start, 3, f"{at}.words[{j}].start"), "end": _num(w.end, 3, f"{at}.words[{j}].end"),
         "text": w.text, "probability": _prob(w.probability, f"{at}.words[{j}].probability"), "speaker": speaker}
        for j, w in enumerate(s.words)
    ]
    return {
        "id": i,
        "start": _num(s.start, 3, f"{at}.start"),
        "end": _num(s.end, 3, f"{at}.end"),
        "text": s.text,
        "language": _str(s.language, f"{at}.language"),
        "avg_logprob": _num(s.avg_logprob, 4, f"{at}.avg_logprob"),
        "no_speech_prob": _prob(s.no_speech_prob, f"{at}.no_speech_prob"),
        "compression_ratio": _num(s.compression_ratio, 4, f"{at}.compression_ratio"),
        "temperature": _num(s.temperature, 4, f"{at}.temperature"),
        "words": words,
        "track": _track_id(s.track, f"{at}.track"),
        "speaker": speaker,
    } | ({"overlap": True, "speakers": list(label)} if isinstance(label, tuple) else {})


def _track_id(x: Any, what: str) -> int | None:
    if x is not None and (isinstance(x, bool) or not isinstance(x, int) or x < 1):
        raise ValueError(f"{what}: expected a track number >= 1, got {x!r}")
    return x


def _tracks(tracks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The audio tracks searched for speech: ``{number, stream_index, channel, language, label, speech_s}``."""
    out = []
    for i, t in enumerate(tracks):
        at = f"tracks[{i}]"
        channel = t.get("channel")
        if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int) or channel < 0):
            raise ValueError(f"{at}.channel: expected a channel index >= 0 or null, got {channel!r}")
        language = t.get("language")
        out.append({
            "id": _track_id(t.get("number"), f"{at}.number"),
            "stream": int(_num(t.get("stream_index"), 0, f"{at}.stream_index", 0)),
            "channel": channel,
            "language": None if language is None else _str(language, f"{at}.language"),
            "label": _str(t.get("label"), f"{at}.label"),
            "speech_s": _opt(t.get("speech_s"), f"{at}.speech_s", _seconds),
        })  # fmt: skip
    if len({t["id"] for t in out}) != len(out):
        raise ValueError("tracks: track numbers must be unique")
    return out


def _translation(tr: Mapping[str, Any], segment_ids: set[int]) -> dict[str, Any]:
    route = tr.get("route")
    if route not in ROUTES:
        raise ValueError(f"translation.route: expected one of {ROUTES}, got {route!r}")
    model = tr.get("model") or {}
    segs: list[dict[str, Any]] = []
    for i, s in enumerate(tr.get("segments") or (), start=1):
        at = f"translation.segments[{i - 1}]"
        d = s.to_dict() if isinstance(s, Segment) else dict(s)
        source_id = d.get("source_id")
        if source_id is not None and (isinstance(source_id, bool) or source_id not in segment_ids):
            raise ValueError(f"{at}.source_id: {source_id!r} is not a segment id")
        if not isinstance(d.get("text"), str):
            raise ValueError(f"{at}.text: expected a string")
        segs.append({"id": i, "start": _num(d.get("start"), 3, f"{at}.start"),
                     "end": _num(d.get("end"), 3, f"{at}.end"), "text": d["text"], "source_id": source_id,
                     "route": _route(d.get("route", route), f"{at}.route")})
    skipped = []
    for i, g in enumerate(tr.get("skipped") or ()):
        at = f"translation.skipped[{i}]"
        gap_route = g.get("route")
        skipped.append({"start": _seconds(g.get("start"), f"{at}.start"), "end": _seconds(g.get("end"), f"{at}.end"),
                        "reason": _str(g.get("reason"), f"{at}.reason"),
                        "route": None if gap_route is None else _route(gap_route, f"{at}.route")})
    return {
        "language": _str(tr.get("language"), "translation.language"),
        "route": route,
        "model": {"name": _str(model.get("name"), "translation.model.name"),
                  "sha256": _sha(model.get("sha256"), "translation.model.sha256")},
        "segments": segs,
        "skipped": skipped,
    }


def _diarization(d: Mapping[str, Any]) -> dict[str, Any]:
    """``{model: {name, sha256}, requested, speakers: [{id, speaking_time, first_appearance}],
    overlaps: [{start, end, speakers}]}`` (1.3; overlaps since 1.4)."""
    model = d.get("model") or {}
    requested = str(d.get("requested") or "auto")
    if not _COUNT.match(requested):
        raise ValueError(f"diarization.requested: expected auto, N or LOW-HIGH, got {requested!r}")
    table = []
    for i, row in enumerate(d.get("speakers") or ()):
        at = f"diarization.speakers[{i}]"
        label = _str(row.get("id"), f"{at}.id")
        if not _SPEAKER.match(label):
            raise ValueError(f"{at}.id: expected S1, S2, ..., got {label!r}")
        table.append({"id": label, "speaking_time": _seconds(row.get("speaking_time"), f"{at}.speaking_time"),
                      "first_appearance": _seconds(row.get("first_appearance"), f"{at}.first_appearance")})
    if len({r["id"] for r in table}) != len(table):
        raise ValueError("diarization.speakers: speaker ids must be unique")
    known = {str(r["id"]) for r in table}
    overlaps = []
    for i, o in enumerate(d.get("overlaps") or ()):
        at = f"diarization.overlaps[{i}]"
        start, end = _seconds(o.get("start"), f"{at}.start"), _seconds(o.get("end"), f"{at}.end")
        if end < start:
            raise ValueError(f"{at}: ends before it starts")
        overlaps.append({"start": start, "end": end, "speakers": _overlap_speakers(o.get("speakers"), known, at)})
    return {"model": {"name": _str(model.get("name"), "diarization.model.name"),
                      "sha256": _sha(model.get("sha256"), "diarization.model.sha256")},
            "requested": requested, "speaker_count": len(table), "speakers": table, "overlaps": overlaps}


def _overlap_speakers(labels: Any, known: set[str], what: str) -> list[str]:
    """Two or more distinct speakers of the table, in label order."""
    if not isinstance(labels, list | tuple) or len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"{what}.speakers: expected two or more distinct speakers, got {labels!r}")
    for label in labels:
        if label not in known:
            raise ValueError(f"{what}.speakers: {label!r} is not in diarization.speakers")
    if list(labels) != sorted(labels, key=lambda s: int(s[1:])):
        raise ValueError(f"{what}.speakers: expected label order, got {labels!r}")
    return list(labels)


def _speakers(speakers: Sequence[Label] | None, n: int, block: dict[str, Any] | None) -> list[Label]:
    """One label (or None, or an overlap's tuple of speakers) per segment; every label is a row of the
    diarization's speaker table."""
    if speakers is None:
        if block is not None and n:
            raise ValueError("diarization given without segment speakers")
        return [None] * n
    if block is None:
        raise ValueError("segment speakers given without a diarization block")
    if len(speakers) != n:
        raise ValueError(f"speakers: {len(speakers)} labels for {n} segments")
    known = {r["id"] for r in block["speakers"]}
    for i, label in enumerate(speakers):
        if isinstance(label, tuple):
            _overlap_speakers(label, known, f"segments[{i}]")
        elif label is not None and label not in known:
            raise ValueError(f"segments[{i}].speaker: {label!r} is not in diarization.speakers")
    return list(speakers)


def _route(route: Any, what: str) -> str:
    if route not in ROUTES:
        raise ValueError(f"{what}: expected one of {ROUTES}, got {route!r}")
    return str(route)


def build_transcript(
    *,
    job_id: str,
    source: Mapping[str, Any],
    language: str,
    language_probability: float | None,
    segments: Sequence[Segment],
    translation: Mapping[str, Any] | None,
    model: Mapping[str, Any],
    params: Mapping[str, Any] | TranscriptionOptions,
    created_at: str,
    speech_s: float | None = None,
    software: Mapping[str, str] | None = None,
    skipped: Sequence[Sequence[Any]] = (),
    tracks: Sequence[Mapping[str, Any]] = (),
    speakers: Sequence[Label] | None = None,
    diarization: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The canonical transcript dict, keys in their documented order.

    ``translation`` is ``{language, route, model: {name, sha256}, segments}`` where each segment is a
    ``Segment`` or a mapping ``{start, end, text, source_id?}``; ``source_id`` is the 1-based id of the
    original segment it translates (omit or ``None`` for the ``whisper-translate`` route).
    Since 1.2 each translation segment names its ``route`` (default: the block's), and
    ``translation["skipped"]`` lists ``{start, end, reason, route}`` for passages the translation
    guards withheld (``shared.translation_guard``); their originals stay in ``segments``.
    ``skipped`` lists ``(start, end, reason)`` for speech the hallucination guards refused to write
    (e.g. ``repetition``): the transcript says where it is silent on purpose.
    ``tracks`` lists the audio tracks searched for speech (``shared.media`` TrackPlan dicts:
    ``number, stream_index, channel, language, label, speech_s``); each segment's ``track`` must be one.
    Since 1.3, ``diarization`` is ``{model: {name, sha256}, requested: "auto" | "N" | "LOW-HIGH",
    speakers: [{id, speaking_time, first_appearance}]}`` (``shared.diarization.pipeline``) and
    ``speakers`` gives each segment's label (``S1``, ...), which its words carry too; without
    diarization every segment's (and word's) ``speaker`` is null and ``diarization`` is null.
    Since 1.4 a label may be a tuple of two or more speakers: the segment was heard while they all
    spoke (an overlap); it is written with ``speaker`` null (its words' too), ``overlap: true`` and
    ``speakers`` [the labels], and ``diarization["overlaps"]`` lists ``{start, end, speakers}``.
    Display names are never part of the transcript: they live in the names overlay
    (``shared.outputs.overlay``), so this stays the machine's output.
    Raises ``ValueError`` on missing or non-finite values.
    """
    try:
        datetime.fromisoformat(_str(created_at, "created_at"))
    except ValueError as e:
        raise ValueError(f"created_at: not an ISO-8601 timestamp: {created_at!r}") from e
    size, fmt = source.get("size_bytes"), source.get("format")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"source.size_bytes: expected a non-negative integer, got {size!r}")
    diar = None if diarization is None else _diarization(diarization)
    labels = _speakers(speakers, len(segments), diar)
    segs = [_segment(i, s, label) for i, (s, label) in enumerate(zip(segments, labels, strict=True), start=1)]
    track_list = _tracks(tracks)
    known = {t["id"] for t in track_list}
    for seg in segs:
        if track_list and seg["track"] is not None and seg["track"] not in known:
            raise ValueError(f"segments[{seg['id'] - 1}].track: {seg['track']} is not in tracks")
    opts = params.to_dict() if isinstance(params, TranscriptionOptions) else params
    sw = dict(software) if software is not None else default_software()
    return {
        "schema_version": SCHEMA_VERSION,
        "job_id": _str(job_id, "job_id"),
        "source": {
            "name": _str(source.get("name"), "source.name"),
            "sha256": _sha(source.get("sha256"), "source.sha256"),
            "duration_s": _seconds(source.get("duration_s"), "source.duration_s"),
            "size_bytes": size,
            "format": None if fmt is None else _str(fmt, "source.format"),
        },
        "language": _str(language, "language"),
        "language_probability": _opt(language_probability, "language_probability", _prob),
        "speech_s": _opt(speech_s, "speech_s", _seconds),
        "tracks": track_list,
        "segments": segs,
        "skipped": [{"start": _seconds(s, f"skipped[{i}].start"), "end": _seconds(e, f"skipped[{i}].end"),
                     "reason": _str(r, f"skipped[{i}].reason")} for i, (s, e, r) in enumerate(skipped)],
        "translation": None if translation is None else _translation(translation, {s["id"] for s in segs}),
        "diarization": diar,
        "model": {
            "name": _str(model.get("name"), "model.name"),
            "sha256": _sha(model.get("sha256"), "model.sha256"),
            "precision": _str(model.get("precision"), "model.precision"),
        },
        "params": _jsonable(dict(opts), "params"),
        "created_at": created_at,
        "software": {"name": _str(sw.get("name"), "software.name"),
                     "version": _str(sw.get("version"), "software.version")},
    }


def dumps_transcript(d: Mapping[str, Any]) -> bytes:
    """Canonical bytes: UTF-8, no ASCII escaping, indent 2, keys in dict order, trailing newline."""
    return (json.dumps(d, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
