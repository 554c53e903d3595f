"""The names overlay: what people add to a transcript after the machine (speaker names, record details).

``transcript.json`` is the machine's output and is never rewritten. Names given at submission
(``--speaker-names``) or later (API / web page) live here, in a separate, versioned document bound
to the exact transcript bytes by their SHA-256. Every change makes a new version (the old one is
not edited) and appends an audit entry: who, when, what changed (old → new). The rendered outputs
are made again from the transcript and the overlay; the transcription is never redone.

Invariants: ``version`` counts changes from 0 (no change); ``history[k]`` made version ``k + 1``;
replaying the history from empty gives ``speaker_names`` and ``record``; labels are the
transcript's own speaker ids; names are one line, trimmed, at most ``MAX_NAME`` characters.
"""

from __future__ import annotations

import copy
import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

FORMAT = "toex-transcript-overlay/1"
MAX_NAME = 80
RECORD_FIELDS = ("case_reference", "exhibit_reference", "persons_present")


def _clean(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"{what}: expected a string, got {type(text).__name__}")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        raise ValueError(f"{what}: must be one line without control characters")
    text = text.strip()
    if not text or len(text) > MAX_NAME:
        raise ValueError(f"{what}: expected 1-{MAX_NAME} characters")
    return text


def _when(at: str) -> str:
    try:
        datetime.fromisoformat(at)
    except (TypeError, ValueError) as e:
        raise ValueError(f"at: not an ISO-8601 timestamp: {at!r}") from e
    return at


def speaker_ids(transcript: Mapping[str, Any]) -> list[str]:
    """The transcript's speaker labels in order of first appearance (S1, S2, ...); [] if not diarized."""
    d = transcript.get("diarization")
    if not d:
        return []
    return [r["id"] for r in sorted(d["speakers"], key=lambda r: (r["first_appearance"], int(r["id"][1:])))]


def new_overlay(transcript_bytes: bytes) -> dict[str, Any]:
    """Version 0 of the overlay of the transcript whose canonical bytes are `transcript_bytes`."""
    return {"format": FORMAT, "transcript_sha256": hashlib.sha256(transcript_bytes).hexdigest(), "version": 0,
            "speaker_names": {}, "record": {}, "history": []}


def _changed(overlay: Mapping[str, Any], by: str, at: str, action: str,
             changes: dict[str, list[Any]]) -> dict[str, Any]:
    out = copy.deepcopy(dict(overlay))
    if not changes:
        return out
    out["version"] = int(overlay["version"]) + 1
    out["history"].append({"version": out["version"], "at": _when(at), "by": _clean(by, "by"), "action": action,
                           "changes": changes})
    return out


def rename_speakers(overlay: Mapping[str, Any], transcript: Mapping[str, Any], names: Mapping[str, str | None],
                    by: str, at: str) -> dict[str, Any]:
    """A new overlay version with `names` (label → name; None removes a name). Unchanged names are not
    recorded; if nothing changes the overlay comes back as it was (same version)."""
    known = set(speaker_ids(transcript))
    current: dict[str, str] = dict(overlay["speaker_names"])
    changes: dict[str, list[Any]] = {}
    for label in sorted(names, key=lambda x: (len(x), x)):
        if label not in known:
            have = ", ".join(sorted(known)) or "none"
            raise ValueError(f"speaker {label!r} is not in the transcript (it has {have})")
        raw = names[label]
        name = None if raw is None or (isinstance(raw, str) and not raw.strip()) else _clean(raw, f"name of {label}")
        if current.get(label) != name:
            changes[label] = [current.get(label), name]
            if name is None:
                current.pop(label, None)
            else:
                current[label] = name
    out = _changed(overlay, by, at, "speaker_names", changes)
    out["speaker_names"] = {k: current[k] for k in sorted(current, key=lambda x: int(x[1:]))}
    return out


def names_in_order(transcript: Mapping[str, Any], spec: str | Sequence[str]) -> dict[str, str]:
    """``--speaker-names "DC Hale,Suspect,Solicitor"`` → {S1: DC Hale, ...} by first appearance.

    More names than speakers is an error (a name would silently be dropped); fewer leaves the rest
    unnamed; an empty item skips that speaker (``"DC Hale,,Solicitor"``)."""
    items = [x.strip() for x in spec.split(",")] if isinstance(spec, str) else [x.strip() for x in spec]
    order = speaker_ids(transcript)
    if len(items) > len(order):
        raise ValueError(f"{len(items)} speaker names given but the recording has {len(order)} speakers")
    return {label: name for label, name in zip(order, items, strict=False) if name}


def set_record(overlay: Mapping[str, Any], by: str, at: str, case_reference: str | None = None,
               exhibit_reference: str | None = None, persons_present: Sequence[str] | None = None) -> dict[str, Any]:
    """A new overlay version with the record of interview's header details (only those given change)."""
    given: dict[str, Any] = {}
    if case_reference is not None:
        given["case_reference"] = _clean(case_reference, "case_reference")
    if exhibit_reference is not None:
        given["exhibit_reference"] = _clean(exhibit_reference, "exhibit_reference")
    if persons_present is not None:
        given["persons_present"] = [_clean(p, f"persons_present[{i}]") for i, p in enumerate(persons_present)]
    record = dict(overlay["record"])
    changes = {k: [record.get(k), v] for k, v in given.items() if record.get(k) != v}
    record.update(given)
    out = _changed(overlay, by, at, "record", changes)
    out["record"] = {k: record[k] for k in RECORD_FIELDS if k in record}
    return out


def dumps_overlay(overlay: Mapping[str, Any]) -> bytes:
    return (json.dumps(overlay, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")


def _replay(history: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], dict[str, Any]]:
    names: dict[str, str] = {}
    record: dict[str, Any] = {}
    for entry in history:
        target = names if entry["action"] == "speaker_names" else record
        for key, (_old, new) in entry["changes"].items():
            if new is None:
                target.pop(key, None)
            else:
                target[key] = new
    return names, record


def load_overlay(data: bytes, transcript_bytes: bytes, transcript: Mapping[str, Any]) -> dict[str, Any]:
    """Parse and check an overlay against the transcript it annotates; raises ``ValueError``."""
    try:
        o = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"overlay: not valid JSON ({e})") from e
    if not isinstance(o, dict) or o.get("format") != FORMAT:
        raise ValueError(f"overlay: not a {FORMAT} document")
    if o.get("transcript_sha256") != hashlib.sha256(transcript_bytes).hexdigest():
        raise ValueError("overlay: made for another transcript (SHA-256 differs)")
    history = o.get("history")
    if not isinstance(history, list) or o.get("version") != len(history) or any(
            not isinstance(h, dict) or h.get("version") != k + 1 or h.get("action") not in ("speaker_names", "record")
            or not isinstance(h.get("changes"), dict) for k, h in enumerate(history)):
        raise ValueError("overlay: history does not account for every version")
    names, record = _replay(history)
    if names != o.get("speaker_names") or record != o.get("record"):
        raise ValueError("overlay: names or record differ from what its history records")
    unknown = set(names) - set(speaker_ids(transcript))
    if unknown:
        raise ValueError(f"overlay: names speakers the transcript does not have: {', '.join(sorted(unknown))}")
    return o
