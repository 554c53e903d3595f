"""The typed document model: translatable text units with their location, and a writer for the rest.

A reader turns a file into a `ParsedDocument`: the ordered `TextUnit`s a translator may change
(a paragraph's run group, a table cell, a line, a subtitle cue, a chat message, a text node...)
and a `write` function that holds everything else (markup, timings, numbering, senders, line
endings, encoding) and puts each unit's output exactly where its source was. Invariant: writing
every unit's own source text back reproduces the document's text content and structure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

Location = Mapping[str, str | int]


@dataclass(frozen=True)
class InlineSpan:
    """A formatted stretch ``text[start:end]`` of a unit; ``style`` is a key the writer understands."""

    start: int
    end: int
    style: str


@dataclass(frozen=True)
class TextUnit:
    """One translatable piece of a document at `location` (shape per format, see docs)."""

    index: int
    location: Location
    text: str
    spans: tuple[InlineSpan, ...] = ()


@dataclass(frozen=True)
class UnitOutput:
    """What the writer puts back for one unit: the text and its formatted stretches (in the new text)."""

    text: str
    spans: tuple[InlineSpan, ...] = ()


Writer = Callable[[Sequence[UnitOutput]], bytes]

Piece = TypeVar("Piece")


def reassemble(layout: Sequence[str | Piece], fill: Callable[[Piece], str]) -> str:
    """A text reader's layout joined again: kept text as it was, each unit's place as `fill` writes it."""
    return "".join(p if isinstance(p, str) else fill(p) for p in layout)


@dataclass
class ParsedDocument:
    """A read document. ``write(outputs)`` takes one `UnitOutput` per unit, in unit order."""

    format: str
    units: list[TextUnit]
    write: Writer
    output_suffix: str
    info: dict[str, str] = field(default_factory=dict)  # e.g. {"encoding": "cp1252", "delimiter": ";"}

    def write_source(self) -> bytes:
        """The document rebuilt from its own units (identity round trip, used by tests and checks)."""
        return self.write([UnitOutput(u.text, u.spans) for u in self.units])


class UnitCollector:
    """Builds the unit list while a reader walks its file."""

    def __init__(self) -> None:
        self.units: list[TextUnit] = []

    def add(self, text: str, *, spans: tuple[InlineSpan, ...] = (), **location: str | int) -> int:
        return self.add_at(text, location, spans)

    def add_at(self, text: str, location: Location, spans: tuple[InlineSpan, ...] = ()) -> int:
        index = len(self.units)
        self.units.append(TextUnit(index, dict(location), text, spans))
        return index
