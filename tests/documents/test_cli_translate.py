"""``toex translate`` for documents (real pt→en model) and ``toex transcribe --to/--from``."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from functions.local.cli import build_parser, main


def test_transcribe_takes_to_and_from_as_aliases() -> None:
    args = build_parser().parse_args(["transcribe", "a.wav", "--to", "en", "--from", "pt"])
    assert (args.translate_to, args.language) == ("en", "pt")
    args = build_parser().parse_args(["transcribe", "a.wav", "--translate-to", "en", "--language", "pt"])
    assert (args.translate_to, args.language) == ("en", "pt")


@pytest.mark.real_model
def test_documents_into_folders_with_a_glossary_and_a_bad_file(bergamot_packages: dict[str, Path], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    d = docx.Document()
    d.add_paragraph("O agente Silva viu o carro na Rua Augusta.")
    d.save(tmp_path / "relatório.docx")
    (tmp_path / "clip.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nO agente chegou cedo.\n", encoding="utf-8")
    (tmp_path / "fake.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (tmp_path / "terms.csv").write_text("source,target\nSilva,\nRua Augusta,\nagente,officer\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    out = tmp_path / "out"
    rc = main(["translate", str(tmp_path / "relatório.docx"), str(tmp_path / "clip.srt"), str(tmp_path / "fake.txt"),
               "--to", "en", "--glossary", str(tmp_path / "terms.csv"), "--out", str(out),
               "--translation-model", str(bergamot_packages["pten"])])
    captured = capsys.readouterr()
    assert rc == 1
    assert "fake.txt: failed: document.wrong_extension" in captured.err and "Traceback" not in captured.err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "out"} == before
    assert sorted(p.name for p in (out / "relatório").iterdir()) == [
        "relatório.bilingual.docx", "relatório.en.docx", "translation.json"]
    assert sorted(p.name for p in (out / "clip").iterdir()) == [
        "clip.bilingual.docx", "clip.en.srt", "translation.json"]
    assert not (out / "fake").exists()
    (tmp_path / "relatório.srt").write_bytes((tmp_path / "clip.srt").read_bytes())
    twice = [str(tmp_path / n) for n in ("clip.srt", "relatório.docx", "relatório.srt")]
    assert main(["translate", *twice, "--to", "en", "--out", str(tmp_path / "again"),
                 "--translation-model", str(bergamot_packages["pten"])]) == 1
    assert "relatório.srt: failed: document.output_clash" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "again" / "relatório").iterdir())[1] == "relatório.en.docx"
    text = docx.Document(out / "relatório" / "relatório.en.docx").paragraphs[0].text
    assert "officer Silva" in text and "Rua Augusta" in text, text
    report = json.loads((out / "relatório" / "translation.json").read_text(encoding="utf-8"))
    assert report["glossary"]["applied"] == {"agente": 1, "Silva": 1, "Rua Augusta": 1}
    assert report["model"]["name"] == "bergamot-pten-fp32" and report["characters_translated"] > 0
    srt = (out / "clip" / "clip.en.srt").read_text(encoding="utf-8").splitlines()
    assert srt[:2] == ["1", "00:00:01,000 --> 00:00:02,000"] and srt[2].startswith("The officer")


@pytest.mark.real_model
def test_a_text_file_prints_without_out_and_a_bad_glossary_names_its_line(
        bergamot_packages: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "note.txt").write_bytes("O senhor tem o direito de permanecer em silêncio.\r\n\r\n".encode("cp1252"))
    model = ["--translation-model", str(bergamot_packages["pten"])]
    assert main(["translate", str(tmp_path / "note.txt"), "--to", "en", *model]) == 0
    assert capsys.readouterr().out == "You have the right to remain silent.\r\n\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.txt"]
    (tmp_path / "bad.csv").write_text("source,target\nSilva,,extra\n", encoding="utf-8")
    assert main(["translate", str(tmp_path / "note.txt"), "--to", "en", "--glossary", str(tmp_path / "bad.csv"),
                 *model]) == 2
    assert "document.glossary_invalid: glossary bad.csv, line 2" in capsys.readouterr().err
    assert main(["translate", str(tmp_path / "note.txt"), "--to", "fr", *model]) == 2
    assert "no package translates into fr" in capsys.readouterr().err
