"""Glossary files: format, merge order, errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.documents.errors import GLOSSARY_INVALID, DocumentError
from shared.documents.glossary import load_glossaries, parse_glossary
from shared.documents.protect import find_protected


def test_parse_csv_and_tsv() -> None:
    entries = parse_glossary(b"source,target\n# names\nSilva,\nagente,officer\n\n\"rua, a\",street\n", "f.csv",
                             "force")
    assert [(e.source, e.target, e.keep, e.line) for e in entries] == [
        ("Silva", "", True, 3), ("agente", "officer", False, 4), ("rua, a", "street", False, 6)]
    tsv = parse_glossary("Lisboa\t\nestação\tstation\n".encode("utf-16"), "g.tsv", "job")
    assert [(e.source, e.target) for e in tsv] == [("Lisboa", ""), ("estação", "station")]


@pytest.mark.parametrize("data,line", [
    (b"a,b\nx,y,z\n", 2), (b"a,b\n,target\n", 2), (b"a,b\nc,d\nA,e\n", 3), (b"ok,\n\"unclosed,x\n", 2),
])
def test_malformed_glossary_names_the_line(data: bytes, line: int) -> None:
    with pytest.raises(DocumentError) as info:
        parse_glossary(data, "bad.csv", "job")
    assert info.value.code == GLOSSARY_INVALID
    assert f"line {line}" in info.value.message and "bad.csv" in info.value.message


def test_binary_glossary_is_invalid() -> None:
    with pytest.raises(DocumentError) as info:
        parse_glossary(b"\x00\x01\x02" * 100, "g.csv", "job")
    assert info.value.code == GLOSSARY_INVALID


def test_job_overrides_force_and_hash(tmp_path: Path) -> None:
    force = tmp_path / "force.csv"
    job = tmp_path / "job.tsv"
    force.write_text("agente,agent\nSilva,\n", encoding="utf-8")
    job.write_text("Agente\tofficer\n", encoding="utf-8")
    g = load_glossaries(force, job)
    assert g is not None and len(g) == 2
    assert g.entries["agente"].target == "officer" and g.entries["agente"].origin == "job"
    assert [f["origin"] for f in g.files] == ["force", "job"]
    assert load_glossaries(force, job).sha256 == g.sha256  # type: ignore[union-attr]
    assert load_glossaries(job, force).sha256 != g.sha256  # type: ignore[union-attr]
    assert load_glossaries() is None


def test_matching_is_whole_word_longest_first(tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("rua,street\nrua Augusta,\nSilva,\n", encoding="utf-8")
    g = load_glossaries(job=f)
    text = "A Rua Augusta fica perto da rua; Silvana não é Silva."
    spans = [(text[p.start:p.end], p.replacement, p.kind) for p in find_protected(text, g)]
    assert spans == [("Rua Augusta", "Rua Augusta", "glossary"), ("rua", "street", "glossary"),
                     ("Silva", "Silva", "glossary")]
