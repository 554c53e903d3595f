"""`toex transcribe --case-ref --exhibit-ref --persons-present`: the record's header, as the API and uploads."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from functions.local.cli import main
from shared.outputs.overlay import load_overlay


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, vad_model_path: Path, tmp_path: Path) -> Path:
    monkeypatch.setenv("TOEX_VAD_MODEL", str(vad_model_path))
    monkeypatch.setenv("TOEX_INTRA_OP_THREADS", "1")
    return tmp_path / "data"


def test_transcribe_puts_the_references_and_persons_in_the_record_header(
    cli_env: Path, make_media, tiny_whisper_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    media = make_media(tmp_path, "wav", seconds=6, content="speech")
    out = tmp_path / "out"
    rc = main(["--data-dir", str(cli_env), "--quiet", "transcribe", str(media), "--out", str(out), "--model",
               str(tiny_whisper_package), "--beam-size", "1", "--language", "en", "--case-ref", "OP-PINE/24",
               "--exhibit-ref", "JB/1", "--persons-present", "DC Hale; Mr Smith"])
    assert rc == 0, capsys.readouterr().err
    folder = out / media.stem
    txt = (folder / f"{media.stem}.txt").read_text(encoding="utf-8")
    assert "OP-PINE/24" in txt and "JB/1" in txt and "Persons present: DC Hale; Mr Smith" in " ".join(txt.split())
    d = docx.Document(str(folder / f"{media.stem}.docx"))
    record = "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
    assert "OP-PINE/24" in record and "DC Hale; Mr Smith" in record
    machine = (folder / "transcript.json").read_bytes()
    assert b"OP-PINE" not in machine and b"Hale" not in machine
    overlay = load_overlay((folder / "overlay.json").read_bytes(), machine, json.loads(machine))
    assert overlay["version"] == 1 and overlay["record"]["persons_present"] == ["DC Hale", "Mr Smith"]


def test_a_bad_reference_or_name_is_refused_before_anything_runs(cli_env: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    for option, value, why in (("--case-ref", "<b>", "case_ref is not a reference"),
                               ("--persons-present", "DC Hale; " + "x" * 81, "name 2 is longer than 80")):
        with pytest.raises(SystemExit) as e:
            main(["--data-dir", str(cli_env), "transcribe", str(tmp_path / "x.wav"), option, value])
        assert e.value.code == 2 and why in capsys.readouterr().err
    assert not cli_env.exists()  # nothing was recorded
