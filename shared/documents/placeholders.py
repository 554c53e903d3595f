"""Placeholders: protected spans and formatting boundaries become ``[k]`` markers for the model,
and are restored and verified afterwards.

`mask` numbers markers from 1 within one segment. A protected span is replaced by its marker; a
formatted stretch gets an opening marker before it and a closing one after it (``O [1] carro [2]
azul``; the space inside the pair is removed again). `unmask` puts back each protected span's
replacement (the source text, or a forced glossary target), turns a surviving marker pair back
into an `InlineSpan`, and reports every marker the model lost, repeated or invented. It never
guesses where a lost span belonged: a lost span is a warning, not a silent fix. The one thing it
adds is a space between a span and a letter or digit the model glued to its marker when the source
had a space there (``day[1][2]`` → ``day 23:42 12/03/2024``, never ``day23:4212/03/2024``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.documents.model import InlineSpan
from shared.documents.protect import Protected

MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Slot:
    number: int
    role: str  # "keep" (a protected span), "open" or "close" (a formatted stretch)
    protected: Protected | None = None
    style: str | None = None


@dataclass(frozen=True)
class MaskedSegment:
    source: str
    text: str  # what the model is given
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class MarkerIssue:
    kind: str  # "lost", "duplicated", "unexpected", "formatting_lost"
    slot: Slot | None
    detail: str


def mask(text: str, protected: list[Protected], spans: list[InlineSpan]) -> MaskedSegment:
    """``text`` with markers (``protected`` and ``spans`` are relative to ``text``)."""
    def snap(pos: int, opening: bool) -> int:
        for p in protected:
            if p.start < pos < p.end:
                return p.start if opening else p.end
        return pos

    opens: dict[int, list[InlineSpan]] = {}
    closes: dict[int, list[InlineSpan]] = {}
    for s in spans:
        a, b = snap(s.start, True), snap(s.end, False)
        if a < b:
            opens.setdefault(a, []).append(s)
            closes.setdefault(b, []).append(s)
    by_start = {p.start: p for p in protected}
    cuts = sorted({0, len(text), *[q for p in protected for q in (p.start, p.end)], *opens, *closes})
    out: list[str] = []
    slots: list[Slot] = []
    open_slot: dict[int, int] = {}
    for k, a in enumerate(cuts):
        for s in closes.get(a, []):
            slots.append(Slot(len(slots) + 1, "close", style=s.style))
            out.append(f" [{len(slots)}]")
            del open_slot[id(s)]
        for s in opens.get(a, []):
            slots.append(Slot(len(slots) + 1, "open", style=s.style))
            open_slot[id(s)] = len(slots)
            out.append(f"[{len(slots)}] ")
        if k + 1 == len(cuts):
            break
        b = cuts[k + 1]
        if a in by_start:
            slots.append(Slot(len(slots) + 1, "keep", protected=by_start[a]))
            out.append(f"[{len(slots)}]")
        else:
            out.append(text[a:b])
    return MaskedSegment(text, "".join(out), tuple(slots))


def _spacing(masked: str) -> dict[int, tuple[bool, bool]]:
    """Per marker of the model's input: whether a space (or the text's edge) was before / after it."""
    out = {}
    for m in MARKER.finditer(masked):
        before = m.start() == 0 or masked[m.start() - 1].isspace()
        after = m.end() == len(masked) or masked[m.end()].isspace()
        out[int(m.group(1))] = (before, after)
    return out


def _joins(left: str, right: str) -> bool:
    """Two characters that would read as one word or number when nothing separates them."""
    return left.isalnum() and right.isalnum()


def unmask(segment: MaskedSegment, translated: str) -> tuple[str, list[InlineSpan], list[MarkerIssue]]:
    """The model's output with markers resolved, the formatted stretches found, and the issues."""
    by_number = {s.number: s for s in segment.slots}
    spaced = _spacing(segment.text)
    seen: set[int] = set()
    issues: list[MarkerIssue] = []
    out: list[str] = []
    where: dict[int, int] = {}  # marker number → position in the output text
    pos = 0
    for m in MARKER.finditer(translated):
        piece = translated[pos:m.start()]
        pos = m.end()
        number = int(m.group(1))
        slot = by_number.get(number)
        if slot is not None and slot.role == "close" and piece.endswith(" "):
            piece = piece[:-1]
        out.append(piece)
        if slot is None:
            issues.append(MarkerIssue("unexpected", None, m.group(0)))
            continue
        if number in seen:
            issues.append(MarkerIssue("duplicated", slot, m.group(0)))
            continue
        seen.add(number)
        if slot.role == "keep":
            assert slot.protected is not None
            replacement = slot.protected.replacement
            before, after = spaced.get(number, (False, False))
            so_far = "".join(out)
            if before and so_far and _joins(so_far[-1], replacement[0]):
                out.append(" ")  # "day[1][2]" must not read "day23:4212/03/2024"
            out.append(replacement)
            if after and pos < len(translated) and _joins(replacement[-1], translated[pos]):
                out.append(" ")
        else:
            where[number] = len("".join(out))
            if slot.role == "open" and translated[pos:pos + 1] == " ":
                pos += 1
    out.append(translated[pos:])
    text = "".join(out)
    for slot in segment.slots:
        if slot.role == "keep" and slot.number not in seen:
            issues.append(MarkerIssue("lost", slot, slot.protected.replacement if slot.protected else ""))
    spans: list[InlineSpan] = []
    opens = [s for s in segment.slots if s.role == "open"]
    closes = [s for s in segment.slots if s.role == "close"]
    for o in opens:
        c = next((c for c in closes if c.style == o.style and c.number > o.number), None)
        if c is not None:
            closes.remove(c)
        if c is None or o.number not in where or c.number not in where or where[o.number] > where[c.number]:
            issues.append(MarkerIssue("formatting_lost", o, o.style or ""))
            continue
        if where[o.number] < where[c.number]:
            spans.append(InlineSpan(where[o.number], where[c.number], o.style or ""))
    return text, spans, issues
