"""Plain text and Markdown: one unit per line, every line ending, blank line and indent kept.

A line's leading and trailing whitespace stay outside its unit. In Markdown, block markers
(``#``, ``>``, list bullets and numbers) stay outside too, fenced code blocks are not translated,
and table rows are split into one unit per cell. Text is decoded by `textcodec` and written back
in the source's encoding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.documents.errors import EMPTY, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput, reassemble
from shared.documents.textcodec import decode_text, encode_text

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_MD_PREFIX = re.compile(r"^(\s*(?:#{1,6}\s+|>\s*|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)*)")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def split_lines(text: str) -> list[tuple[str, str]]:
    """(line, ending) pairs; ``"".join(l + e)`` is ``text`` exactly."""
    out = []
    for m in _LINE.finditer(text):
        if m.group(0) == "" and m.start() == len(text):
            break
        out.append((m.group(1), m.group(2)))
    return out


def _padded(piece: str) -> tuple[str, str, str]:
    core = piece.strip()
    if not core:
        return piece, "", ""
    start = piece.index(core)
    return piece[:start], core, piece[start + len(core):]


def read_plain(data: bytes, markdown: bool = False) -> ParsedDocument:
    decoded = decode_text(data, "Markdown" if markdown else "text")
    if not decoded.text.strip():
        raise DocumentError(EMPTY, "the file holds no text")
    units = UnitCollector()
    # layout: a list of pieces; str = kept as is, int = unit index
    layout: list[str | int] = []
    fenced = False
    for n, (line, ending) in enumerate(split_lines(decoded.text), start=1):
        if markdown and _MD_FENCE.match(line):
            fenced = not fenced
            layout.append(line + ending)
            continue
        if fenced or (markdown and _MD_TABLE_RULE.match(line) and "-" in line):
            layout.append(line + ending)
            continue
        if markdown and line.strip().startswith("|"):
            for k, cell in enumerate(line.split("|")):
                if k:
                    layout.append("|")
                _add(layout, units, cell, line=n, cell=k)
            layout.append(ending)
            continue
        prefix = _MD_PREFIX.match(line).group(1) if markdown else ""  # type: ignore[union-attr]
        layout.append(prefix)
        _add(layout, units, line[len(prefix):], line=n)
        layout.append(ending)

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        return encode_text(reassemble(layout, lambda index: outputs[index].text), decoded)[0]

    fmt = "md" if markdown else "txt"
    return ParsedDocument(fmt, units.units, write, "." + fmt, {"encoding": decoded.encoding,
                                                             "bom": str(decoded.bom).lower()})


def _add(layout: list[str | int], units: UnitCollector, piece: str, **location: int) -> None:
    lead, core, trail = _padded(piece)
    layout.append(lead)
    if core:
        layout.append(units.add_at(core, {"kind": "line", **location}))
    layout.append(trail)
