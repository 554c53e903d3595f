"""Glossaries: CSV or TSV, two columns ``source,target``, per force and per job.

* An empty (or missing) target means "do not translate": the term is kept exactly as written.
* Otherwise the target is forced: the term is replaced by it (first letter capitalised when the
  source occurrence is).
* An optional header row ``source,target``, blank lines and lines starting with ``#`` are skipped.
* Matching is whole-word and case-insensitive, longest term first.
* `merge(force, job)`: the job's entry wins for the same term (case-insensitive).
* A malformed file raises `DocumentError(GLOSSARY_INVALID)` naming the line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.documents.errors import GLOSSARY_INVALID, DocumentError
from shared.documents.textcodec import decode_text

MAX_GLOSSARY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class GlossaryEntry:
    source: str
    target: str
    origin: str  # "force" or "job"
    line: int

    @property
    def keep(self) -> bool:
        return self.target == ""


@dataclass(frozen=True)
class GlossaryMatch:
    start: int
    end: int
    source_text: str
    entry: GlossaryEntry


class Glossary:
    def __init__(self, entries: list[GlossaryEntry], sha256: str, files: list[dict[str, str]]) -> None:
        self.entries = {e.source.casefold(): e for e in entries}
        self.sha256 = sha256
        self.files = files  # [{"name", "origin", "sha256"}] in merge order
        terms = sorted(self.entries.values(), key=lambda e: (-len(e.source), e.source))
        alternatives = "|".join(re.escape(e.source) for e in terms)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I) if terms else None

    def __len__(self) -> int:
        return len(self.entries)

    def matches(self, text: str) -> Iterator[GlossaryMatch]:
        if self._pattern is None:
            return
        for m in self._pattern.finditer(text):
            yield GlossaryMatch(m.start(), m.end(), m.group(0), self.entries[m.group(0).casefold()])

    def rendered(self, match_text: str, entry: GlossaryEntry) -> str:
        if entry.keep:
            return match_text
        target = entry.target
        if match_text[:1].isupper() and target[:1].islower():
            target = target[0].upper() + target[1:]
        return target


def parse_glossary(data: bytes, name: str, origin: str) -> list[GlossaryEntry]:
    """Entries of one glossary file; ``name`` (e.g. ``terms.tsv``) picks TAB or comma."""
    if len(data) > MAX_GLOSSARY_BYTES:
        raise DocumentError(GLOSSARY_INVALID, f"glossary {name} is over {MAX_GLOSSARY_BYTES} bytes")
    try:
        text = decode_text(data, "glossary").text
    except DocumentError as exc:
        raise DocumentError(GLOSSARY_INVALID, f"glossary {name}: {exc.message}") from exc
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    entries: dict[str, GlossaryEntry] = {}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            if len(row) > 2:
                raise DocumentError(GLOSSARY_INVALID, f"glossary {name}, line {line}: {len(row)} columns, "
                                                      f"expected 2 (source{'<TAB>' if delimiter == chr(9) else ','}"
                                                      "target)")
            source, target = row[0].strip(), (row[1].strip() if len(row) > 1 else "")
            if not entries and line == 1 and (source.lower(), target.lower()) == ("source", "target"):
                continue
            if not source:
                raise DocumentError(GLOSSARY_INVALID, f"glossary {name}, line {line}: empty source term")
            key = source.casefold()
            if key in entries and entries[key].target != target:
                raise DocumentError(GLOSSARY_INVALID, f"glossary {name}, line {line}: term repeats line "
                                                      f"{entries[key].line} with another target")
            entries[key] = GlossaryEntry(source, target, origin, line)
    except csv.Error as exc:
        raise DocumentError(GLOSSARY_INVALID, f"glossary {name}, line {reader.line_num}: {exc}") from exc
    return list(entries.values())


def load_glossaries(force: Path | None = None, job: Path | None = None) -> Glossary | None:
    """The merged glossary (job entries override force entries), or None when neither is given."""
    files: list[tuple[bytes, str, str]] = []
    for path, origin in ((force, "force"), (job, "job")):
        if path is None:
            continue
        if not path.is_file():
            raise DocumentError(GLOSSARY_INVALID, f"glossary {path.name} does not exist")
        files.append((path.read_bytes(), path.name, origin))
    return glossary_of(files)


def glossary_of(files: list[tuple[bytes, str, str]]) -> Glossary | None:
    """The merged glossary of (data, name, origin) files in order (a later file's entry wins)."""
    merged: dict[str, GlossaryEntry] = {}
    digest = hashlib.sha256()
    described: list[dict[str, str]] = []
    for data, name, origin in files:
        digest.update(origin.encode() + b"\0" + hashlib.sha256(data).digest())
        described.append({"name": name, "origin": origin, "sha256": hashlib.sha256(data).hexdigest()})
        for entry in parse_glossary(data, name, origin):
            merged[entry.source.casefold()] = entry
    if not described:
        return None
    return Glossary(list(merged.values()), digest.hexdigest(), described)
