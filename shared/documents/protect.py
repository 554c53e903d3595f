"""Spans that must come out byte-identical: URLs, e-mail addresses, exhibit references, phone
numbers, dates, times, numbers, markup tags, and glossary terms.

`find_protected` returns non-overlapping spans, glossary terms first (longest first), then the
patterns below in priority order. The translator never sees a protected span: `placeholders`
replaces each by a ``[k]`` marker and puts it back afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.documents.glossary import Glossary

_TRAIL = ".,;:!?)]}'\"»”’"
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("placeholder_like", re.compile(r"\[\d+\]")),
    ("markup", re.compile(r"</?[A-Za-z][^<>\n]{0,200}>|`[^`\n]+`")),
    ("url", re.compile(r"\b(?:https?|ftp)://[^\s<>\"]+|\bwww\.[^\s<>\"]+", re.I)),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    # exhibit and case references: MG/12/003, JS/1, AB-12/34, 01/2345/24 (letters or digits with / parts)
    ("reference", re.compile(r"\b[A-Z]{1,6}(?:[/-][A-Z]*\d+[A-Z]*)+\b|\b[A-Z]{2,6}\d+[A-Z0-9]*\b")),
    ("phone", re.compile(r"(?<![\w/])\+?\(?\d{2,4}\)?(?:[ .-]?\d{2,5}){2,5}(?![\w/])")),
    ("date", re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")),
    ("time", re.compile(r"\b\d{1,2}[:h]\d{2}(?::\d{2})?\b")),
    ("number", re.compile(r"(?<![\w])[-+]?\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?(?:\s?%|º|ª)?")),
)


@dataclass(frozen=True)
class Protected:
    """``text[start:end]`` is protected; after translation it becomes ``replacement``."""

    start: int
    end: int
    kind: str  # a pattern name above, or "glossary"
    replacement: str
    term: str | None = None  # the glossary entry's source term


def _trim(text: str, start: int, end: int, kind: str) -> int:
    if kind == "url":
        while end > start and text[end - 1] in _TRAIL:
            end -= 1
    return end


def find_protected(text: str, glossary: Glossary | None = None) -> list[Protected]:
    """Non-overlapping protected spans of ``text``, sorted by start."""
    taken: list[Protected] = []

    def free(a: int, b: int) -> bool:
        return all(b <= p.start or a >= p.end for p in taken)

    if glossary is not None:
        for match in glossary.matches(text):
            if free(match.start, match.end):
                replacement = glossary.rendered(match.source_text, match.entry)
                taken.append(Protected(match.start, match.end, "glossary", replacement, match.entry.source))
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            end = _trim(text, m.start(), m.end(), kind)
            span = text[m.start():end].strip()
            if not span or not any(ch.isdigit() or ch.isalpha() or ch in "<>`[" for ch in span):
                continue
            start = m.start() + (len(text[m.start():end]) - len(text[m.start():end].lstrip()))
            end = start + len(span)
            if free(start, end):
                taken.append(Protected(start, end, kind, span))
    return sorted(taken, key=lambda p: p.start)
