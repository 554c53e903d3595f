"""Paths of the pipeline where no model is called: text in the target language and languages with no
model are kept exactly and accounted for, and the three outputs are still written."""

from __future__ import annotations

import json
from pathlib import Path

import docx

from shared.documents.job import translate_file
from shared.documents.pipeline import PipelineOptions

EN = ["The officer saw the blue car near the station last night.", "She left the house with her brother."]
PL = "Policjant widział niebieski samochód wczoraj wieczorem przy stacji."


class NoModels:
    """A translator with no language pair at all: translate must never be called."""

    @property
    def model_info(self) -> dict[str, str]:
        return {"name": "none", "sha256": "0" * 64, "precision": "fp32"}

    def supports(self, source_language: str, target_language: str) -> bool:
        return False

    def translate(self, texts: list[str], source_language: str, target_language: str) -> list[str]:
        raise AssertionError("no text should reach a model")


def test_target_language_and_no_model_text_kept(tmp_path: Path) -> None:
    src = tmp_path / "mixed.txt"
    data = f"{EN[0]}\n{PL}\n\n{EN[1]}\n12/03/2024\n".encode()
    src.write_bytes(data)
    out = translate_file(src, tmp_path / "out", NoModels(), PipelineOptions(target="en"),
                         created_at="2026-12-01T09:00:00+00:00")
    assert out.translated.read_bytes() == data
    report = json.loads(out.report.read_text(encoding="utf-8"))
    assert report["characters_translated"] == 0
    assert report["characters_kept"] == sum(map(len, (EN[0], PL, EN[1], "12/03/2024")))
    assert [(s["status"], s["language"]) for s in report["segments"]] == [
        ("kept_target_language", "en"), ("kept_no_model", "pl"), ("kept_target_language", "en"),
        ("kept_no_text", "en")]
    assert report["skipped"] == [{"location": {"kind": "line", "line": 2}, "reason": "no_model", "language": "pl"}]
    assert report["languages"]["en"] > report["languages"]["pl"] > 0
    assert report["outputs"] == {"translated": "mixed.en.txt", "bilingual": "mixed.bilingual.docx",
                                 "report": "translation.json"}
    bilingual = docx.Document(str(out.bilingual))
    text = "\n".join(p.text for p in bilingual.paragraphs)
    assert "no_model (Polish, pl)" in text
    rows = [(r.cells[0].text, r.cells[1].text) for r in bilingual.tables[1].rows[1:]]
    assert rows[1] == (PL, f"{PL}\n[not translated: no model for this language]")


def test_declared_source_still_keeps_target_language(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text(f"{EN[0]},{PL}\n", encoding="utf-8")
    out = translate_file(src, tmp_path / "out", NoModels(), PipelineOptions(target="en", source="pl"))
    report = json.loads(out.report.read_text(encoding="utf-8"))
    assert [(s["status"], s["language"]) for s in report["segments"]] == [
        ("kept_target_language", "en"), ("kept_no_model", "pl")]
    assert report["parameters"]["source_language"] == "pl"


def test_an_unsure_short_line_takes_the_documents_language() -> None:
    """py3langid reads "Onde estás agora?" as Spanish (p ≈ 0.63); among Portuguese lines it is Portuguese,
    while a surely identified line in another language keeps its own."""
    from shared.documents.model import TextUnit
    from shared.documents.pipeline import unit_languages

    texts = ["Estou em casa com a minha mãe e o meu irmão.", "Onde estás agora?", "Dónde estás ahora, amigo mío?",
             "Amanhã vou buscar o dinheiro ao banco."]
    units = [TextUnit(i, {"kind": "line", "line": i + 1}, t) for i, t in enumerate(texts)]
    assert unit_languages(units, PipelineOptions(target="en")) == ["pt", "pt", "es", "pt"]
    assert unit_languages(units[1:2], PipelineOptions(target="en")) == ["es"]  # no surer language to take
