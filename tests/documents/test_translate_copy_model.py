"""Documents through the real ONNX translation engine with the copy model (output = input).

Every sentence here is written with the copy model's word list, so the engine returns it unchanged
and each assertion can say exactly where a translation must land: structure, alignment, protected
spans, glossary terms, language handling, and the three output files.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import docx
import pytest

from shared.documents.glossary import load_glossaries
from shared.documents.job import translate_file
from shared.documents.pipeline import PipelineOptions

P1 = "O agente viu o carro azul ontem de noite."
P2 = "Ele ligou para a polícia depois das 23:42 do dia 12/03/2024."
P3 = "A mulher saiu de casa com o irmão."
P4 = "Ela mandou uma mensagem para MG/12/003 e ligou para +44 20 7946 0958."
EN = "The officer saw the blue car near the station last night."
ES = "El policía vio el coche azul anoche cerca de la estación de tren."
OPTS = PipelineOptions(target="en")


def _run(tmp_path: Path, name: str, data: bytes, engine: Any, glossary: Any = None) -> tuple[Path, dict[str, Any]]:
    src = tmp_path / name
    src.write_bytes(data)
    before = hashlib.sha256(data).hexdigest()
    out = translate_file(src, tmp_path / "out", engine, OPTS, glossary, job_id="job-1",
                         created_at="2026-12-01T09:00:00+00:00", decoding={"beam_size": 1})
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before  # original untouched
    report = json.loads(out.report.read_text(encoding="utf-8"))
    assert out.bilingual.exists() and out.translated.exists()
    return out.translated, report


def test_engine_copies_the_test_sentences(copy_engine: Any) -> None:
    from shared.documents.placeholders import mask
    from shared.documents.protect import find_protected

    masked = [mask(t, find_protected(t), []).text for t in (P1, P2, P3, P4)]
    assert copy_engine.translate(masked, "pt", "en") == masked


def test_text_file_structure_languages_and_counts(tmp_path: Path, copy_engine: Any) -> None:
    text = f"{P1} {P3}\r\n\r\n  {P2}\r\n{EN}\r\n{ES}\r\n{P4}\r\n"
    data = text.encode("cp1252", errors="strict") if all(ord(c) < 256 for c in text) else text.encode()
    out, report = _run(tmp_path, "statement.txt", data, copy_engine)
    assert out.name == "statement.en.txt"
    assert out.read_bytes() == data  # copy model: every line back where it was, same encoding and CRLFs
    statuses = {s["source"]: (s["status"], s["language"]) for s in report["segments"]}
    assert statuses[P1] == ("translated", "pt") and statuses[P3] == ("translated", "pt")
    assert statuses[EN] == ("kept_target_language", "en")
    assert statuses[ES] == ("kept_no_model", "es")
    assert report["skipped"] == [{"location": {"kind": "line", "line": 5}, "reason": "no_model", "language": "es"}]
    assert report["characters_translated"] == len(P1) + len(P3) + len(P2) + len(P4)
    units_chars = sum(len(x) for x in (f"{P1} {P3}", P2, EN, ES, P4))
    assert report["characters_translated"] + report["characters_kept"] == units_chars
    assert report["warnings"] == []
    assert report["source"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert report["source"]["reader"]["encoding"] == "cp1252"
    assert [s["translation"] for s in report["segments"]] == [s["source"] for s in report["segments"]]


def test_protected_spans_come_back_byte_identical(tmp_path: Path, copy_engine: Any) -> None:
    out, report = _run(tmp_path, "p.txt", f"{P4}\n{P2}\n".encode(), copy_engine)
    body = out.read_text(encoding="utf-8")
    for span in ("MG/12/003", "+44 20 7946 0958", "23:42", "12/03/2024"):
        assert span in body
    assert report["warnings"] == []


def test_glossary_forced_and_kept_terms(tmp_path: Path, copy_engine: Any) -> None:
    force = tmp_path / "force.csv"
    force.write_text("agente,agent\nSilva,\nrua,street\n", encoding="utf-8")
    job = tmp_path / "job.tsv"
    job.write_text("agente\tofficer\n", encoding="utf-8")
    glossary = load_glossaries(force, job)
    src = "O agente Silva encontrou a faca na rua.\nO agente viu o carro.\n"
    out, report = _run(tmp_path, "g.txt", src.encode(), copy_engine, glossary)
    assert out.read_text(encoding="utf-8") == "O officer Silva encontrou a faca na street.\nO officer viu o carro.\n"
    assert report["glossary"]["applied"] == {"Silva": 1, "agente": 2, "rua": 1}
    assert report["glossary"]["sha256"] == glossary.sha256  # type: ignore[union-attr]
    assert [f["origin"] for f in report["glossary"]["files"]] == ["force", "job"]


def test_docx_formatting_tables_headers_survive(tmp_path: Path, copy_engine: Any) -> None:
    d = docx.Document()
    p = d.add_paragraph("O agente viu o ")
    p.add_run("carro").bold = True
    p.add_run(" azul ontem de ")
    p.add_run("noite").italic = True
    p.add_run(".")
    d.add_paragraph(P3, style="List Bullet")
    d.add_paragraph(EN)
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text = P2
    t.cell(0, 1).text = "MG/12/003"
    d.sections[0].header.paragraphs[0].text = "O documento da polícia."
    buf = io.BytesIO()
    d.save(buf)
    out, report = _run(tmp_path, "letter.docx", buf.getvalue(), copy_engine)
    assert out.name == "letter.en.docx"
    got = docx.Document(str(out))
    runs = [(r.text, r.bold, r.italic) for r in got.paragraphs[0].runs]
    assert runs == [("O agente viu o ", None, None), ("carro", True, None), (" azul ontem de ", None, None),
                    ("noite", None, True), (".", None, None)]
    assert got.paragraphs[1].text == P3 and got.paragraphs[1].style.name == "List Bullet"
    assert got.paragraphs[2].text == EN
    assert got.tables[0].cell(0, 0).text == P2 and got.tables[0].cell(0, 1).text == "MG/12/003"
    assert got.sections[0].header.paragraphs[0].text == "O documento da polícia."
    assert report["warnings"] == []
    bilingual = docx.Document(str(tmp_path / "out" / "letter.bilingual.docx"))
    header = "\n".join(c.text for row in bilingual.tables[0].rows for c in row.cells)
    assert report["source"]["sha256"] in header and "copy" in header and "Portuguese" in header
    grid = bilingual.tables[1]
    assert [(r.cells[0].text, r.cells[1].text) for r in grid.rows[1:3]] == [(P1, P1), (P3, P3)]


@pytest.mark.parametrize("name,text", [
    ("s.srt", f"1\n00:00:01,000 --> 00:00:02,500\n{P1}\n\n2\n00:00:03,000 --> 00:00:04,200\nA mulher saiu\n"
              "de casa com o irmão.\n"),
    ("s.vtt", f"WEBVTT\n\n00:00:01.000 --> 00:00:02.500 align:start\n{P1}\n\n00:00:03.000 --> 00:00:04.000\n{P3}\n"),
    ("c.txt", f"12/03/2024, 23:42 - Maria: {P1}\n{P3}\n12/03/2024, 23:43 - João: Sim, vou agora.\n"
              f"[12/03/2024, 23:44:05] João: {P2}\n"),
    ("p.html", f'<html><head><title>A carta da polícia.</title></head><body><p class="a">{P1}</p>'
               f"<p>{P4}</p></body></html>"),
    ("t.csv", f"1;{P1}\r\n2;\"{P3}\"\r\n"),
    ("r.md", f"# A carta da polícia.\n\n- {P1}\n- {P3}\n"),
])
def test_text_formats_come_back_in_place(tmp_path: Path, copy_engine: Any, name: str, text: str) -> None:
    out, report = _run(tmp_path, name, text.encode("utf-8"), copy_engine)
    assert out.read_bytes() == text.encode("utf-8")
    assert report["warnings"] == [] and report["characters_translated"] > 0


def test_eml_and_pdf(tmp_path: Path, copy_engine: Any) -> None:
    from tests.documents.builders import make_pdf

    eml = (f"From: a@b.pt\r\nTo: c@d.pt\r\nSubject: A mensagem da polícia.\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\n{P1}\r\n{P3}\r\n").encode()
    out, report = _run(tmp_path, "m.eml", eml, copy_engine)
    assert out.read_bytes() == eml
    assert report["characters_translated"] == len("A mensagem da polícia.") + len(P1 + P3)
    pdf = make_pdf(tmp_path / "src.pdf", [[P1, P3], [P2]]).read_bytes()
    out, report = _run(tmp_path, "scan.pdf", pdf, copy_engine)
    assert out.name == "scan.en.docx"
    assert [p.text for p in docx.Document(str(out)).paragraphs if p.text] == [P1, P3, P2]
    assert [s["location"]["page"] for s in report["segments"]] == [1, 1, 2]
