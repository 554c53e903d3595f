"""``toex transcribe --speaker-names "DC Hale,Suspect,Solicitor"``: names through the overlay, outputs again.

The machine's ``transcript.json`` in the output folder is not touched. The names (in order of the
speakers' first appearance, ``shared.outputs.overlay.names_in_order``) become a new version of the
folder's names overlay (``overlay.json``, with an audit entry: who ran the command, when), and every
other format in the folder is rendered again from the transcript and that overlay; the transcription
is never redone. An overlay already there for the same transcript bytes gets a further version.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from shared.clock import utc_now
from shared.outputs.overlay import dumps_overlay, load_overlay, names_in_order, new_overlay, speaker_ids
from shared.outputs.renaming import renamed

OVERLAY_FILE = "overlay.json"


def os_account() -> str:
    """The operating-system account running this ``toex``, or ``unknown`` (no passwd entry and no
    LOGNAME/USER: a bare container). The local host's "who" in overlays and the access trail."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def who_names() -> str:
    """The audit entry's `by`: the account running the command (``local user NAME``)."""
    return f"local user {os_account()}"[:80]


def name_speakers(folder: Path, written: dict[str, Path], spec: str, by: str) -> dict[str, Path]:
    """Write the overlay with `spec`'s names and re-render `written`'s non-JSON formats; returns the
    written files plus ``overlay``. Raises ``ValueError`` (nothing changed) when the transcript has no
    speakers or there are more names than speakers."""
    data = (folder / "transcript.json").read_bytes()
    transcript = json.loads(data.decode("utf-8"))
    if not speaker_ids(transcript):
        raise ValueError("the transcript has no speakers to name (diarization found no voice)")
    names = names_in_order(transcript, spec)
    path = folder / OVERLAY_FILE
    try:
        current = load_overlay(path.read_bytes(), data, transcript) if path.is_file() else new_overlay(data)
    except ValueError:
        current = new_overlay(data)  # an overlay of another transcript: this one starts its own history
    overlay, renderings = renamed(data, transcript, current, names, written, by=by, at=utc_now())
    out = dict(written)
    for fmt, rendered in renderings.items():
        written[fmt].write_bytes(rendered)
    path.write_bytes(dumps_overlay(overlay))
    out["overlay"] = path
    return out
