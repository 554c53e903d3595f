"""Names applied after the machine: a new overlay version, and the formats rendered again with it.

One flow for every host (the API's ``PUT /jobs/{id}/speakers`` over blobs, the CLI's
``--speaker-names`` over a folder): each keeps only its own storage. ``transcript.json`` is an input
here, never an output: the renderings are every *other* format asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.outputs.formats import FORMATS, render
from shared.outputs.overlay import dumps_overlay, load_overlay, rename_speakers


def renamed(transcript_bytes: bytes, transcript: Mapping[str, Any], current: Mapping[str, Any],
            names: Mapping[str, str | None], formats: Iterable[str], *, by: str,
            at: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The overlay after `names` (label → name, None removes) and, for each non-JSON format in
    `formats`, its rendering with that overlay.

    The overlay is checked as it will be read back (:func:`load_overlay` on its own bytes). When no
    name changes, it comes back at `current`'s version (the caller may then write nothing). Raises
    ``ValueError`` for an unknown label, a bad name or an unknown format."""
    overlay = rename_speakers(current, transcript, names, by=by, at=at)
    load_overlay(dumps_overlay(overlay), transcript_bytes, transcript)
    wanted = set(formats)
    if unknown := sorted(wanted - set(FORMATS)):
        raise ValueError(f"unknown format {unknown[0]!r}")
    renderings: dict[str, bytes] = {fmt: render(dict(transcript), fmt, overlay=overlay)
                                     for fmt in FORMATS if fmt in wanted and fmt != "json"}
    return overlay, renderings
