"""Sentences of a unit, and batches of segments by length.

`split_units_text` cuts a unit's text into pieces: line breaks are hard boundaries, then sentence
ends (``. ! ? …`` and their CJK/Arabic forms followed by whitespace and an upper-case letter, a
digit or an opening quote), never inside a protected span and never after a known abbreviation
(``Sr.``, ``Dr.``, ``nº.``...). Joining the pieces' text and their ``gap`` (the whitespace after
each) gives the unit's text back exactly, so translations reassemble with every line break where
it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shared.documents.protect import Protected


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_END = re.compile(r"(?<=[.!?…。！？؟।])[\"'»”’)\]]*(\s+)(?=[\"'«“‘(¿¡\[]*[A-ZÀ-ÝĀ-ſА-ЯΑ-Ω0-9])")
_CJK_END = re.compile(r"(?<=[。！？])()")
ABBREVIATIONS = frozenset(_words(
    "sr sra srta dr dra prof mr mrs ms st av nº n no núm art pág p pp cf etc ex exa sto sta vs "
    "jr sgt insp det pc dc supt lt col gen cap fig tel"
))


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    gap: str  # the whitespace or line break that follows the piece in the unit


def _cuts(line: str, protected: Sequence[Protected], offset: int) -> list[int]:
    cuts = []
    for m in (*_END.finditer(line), *_CJK_END.finditer(line)):
        at = m.start(1)
        word = re.search(r"([\wº]+)\W*$", line[:at])
        if word and word.group(1).lower().rstrip(".") in ABBREVIATIONS and line[at - 1:at] == ".":
            continue
        if word and len(word.group(1)) == 1 and word.group(1).isupper():  # an initial: "J. Silva"
            continue
        if any(p.start < offset + at < p.end for p in protected):
            continue
        cuts.append(at)
    return sorted(set(cuts))


def split_units_text(text: str, protected: Sequence[Protected] = ()) -> list[Piece]:
    """Pieces covering ``text`` (see module doc); empty lines give no piece, only gaps."""
    pieces: list[Piece] = []
    pos = 0
    for m in re.finditer(r"[^\n]*(\n|$)", text):
        line, end = m.group(0).rstrip("\n"), m.end()
        if m.start() == len(text) and not m.group(0):
            break
        start = m.start()
        cuts = _cuts(line, protected, start)
        a = 0
        for cut in [*cuts, len(line)]:
            seg = line[a:cut]
            stripped = seg.rstrip()
            if stripped:
                lead = len(seg) - len(seg.lstrip())
                if lead and pieces:
                    pieces[-1] = Piece(pieces[-1].start, pieces[-1].end, pieces[-1].gap + seg[:lead])
                elif lead:
                    pieces.append(Piece(start, start, seg[:lead]))
                trail_end = cut
                ws = re.match(r"\s*", line[cut:])
                trail_end = cut + (ws.end() if ws else 0)
                pieces.append(Piece(start + a + lead, start + a + len(stripped),
                                    seg[len(stripped):] + line[cut:trail_end]))
                a = trail_end
            else:
                a = cut
        newline = text[start + len(line):end]
        if pieces:
            pieces[-1] = Piece(pieces[-1].start, pieces[-1].end, pieces[-1].gap + line[a:] + newline)
        else:
            pieces.append(Piece(start, start, line[a:] + newline))
        pos = end
    assert pos <= len(text)
    return pieces


def batches(lengths: Sequence[int], max_items: int = 32, max_chars: int = 4000) -> Iterator[list[int]]:
    """Indices grouped by similar length (shortest first), each batch within both limits."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batch: list[int] = []
    size = 0
    for i in order:
        if batch and (len(batch) >= max_items or size + lengths[i] > max_chars):
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += lengths[i]
    if batch:
        yield batch
