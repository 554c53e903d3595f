"""`toex transcribe` and `toex watch` as an officer or a laptop user runs them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from functions.local.cli import main


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, vad_model_path: Path, tmp_path: Path) -> Path:
    monkeypatch.setenv("TOEX_VAD_MODEL", str(vad_model_path))
    monkeypatch.setenv("TOEX_INTRA_OP_THREADS", "1")
    data = tmp_path / "data"
    return data


def test_transcribe_writes_every_format_and_reports_failures(
    cli_env: Path, make_media, tiny_whisper_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_media(tmp_path, "m4a", seconds=15, content="speech")
    bad = tmp_path / "notes.mp3"
    bad.write_bytes(b"this is not audio at all" * 10)
    out = tmp_path / "out"
    rc = main(
        [
            "--data-dir",
            str(cli_env),
            "--quiet",
            "transcribe",
            str(good),
            str(bad),
            "--out",
            str(out),
            "--model",
            str(tiny_whisper_package),
            "--beam-size",
            "1",
            "--language",
            "en",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 1
    assert f"{bad}: failed: media.not_media" in captured.err
    folder = out / good.stem
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        ["transcript.json", f"{good.stem}.txt", f"{good.stem}.srt", f"{good.stem}.vtt", f"{good.stem}.docx"]
    )
    t = json.loads((folder / "transcript.json").read_text())
    assert t["source"]["name"] == good.name and t["language"] == "en"
    rc = main(["--data-dir", str(cli_env), "jobs"])
    listing = capsys.readouterr().out
    assert rc == 0 and "succeeded" in listing and "failed" in listing and "media.not_media" in listing
    job_id = t["job_id"]
    assert main(["--data-dir", str(cli_env), "show", job_id[:16]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "succeeded" and shown["outputs"]["json"].endswith("transcript.json")


def test_unknown_format_is_refused(cli_env: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown format"):
        main(["--data-dir", str(cli_env), "transcribe", str(tmp_path / "x.wav"), "--formats", "json,pdf"])


def test_watch_folder_processes_each_new_file_once_and_never_touches_originals(
    cli_env: Path, make_media, tiny_whisper_package: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    (drop / "force-a").mkdir(parents=True)
    a = make_media(drop, "wav", seconds=8, content="speech")
    b = make_media(drop / "force-a", "ogg", seconds=8, content="speech")
    (drop / "copying.mp4.part").write_bytes(b"partial")
    (drop / ".hidden.wav").write_bytes(b"x")
    (drop / "readme.txt").write_text("not media")
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (a, b)}
    out = tmp_path / "results"
    args = [
        "--data-dir",
        str(cli_env),
        "--quiet",
        "watch",
        str(drop),
        "--out",
        str(out),
        "--once",
        "--model",
        str(tiny_whisper_package),
        "--beam-size",
        "1",
        "--language",
        "en",
    ]
    assert main(args) == 0
    produced = sorted(p.name for p in out.iterdir())
    assert len(produced) == 2
    assert any(n.startswith(a.stem) for n in produced) and any(n.startswith(b.stem) for n in produced)
    assert main(args) == 0  # second pass: the same files are the same jobs, nothing new
    assert sorted(p.name for p in out.iterdir()) == produced
    assert sorted(os.listdir(drop)) == sorted([a.name, "force-a", "copying.mp4.part", ".hidden.wav", "readme.txt"])
    for p, (data, mtime) in stamps.items():
        assert p.read_bytes() == data and p.stat().st_mtime_ns == mtime


def test_output_folder_inside_drop_folder_is_refused(cli_env: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    with pytest.raises(SystemExit, match="must not be inside"):
        main(["--data-dir", str(cli_env), "watch", str(drop), "--out", str(drop / "out"), "--once"])


def _folders(out: str) -> dict[str, Path]:
    """``FILE: job-id -> FOLDER`` lines of the CLI's output."""
    lines = [ln for ln in out.splitlines() if " -> " in ln]
    return {ln.split(": ", 1)[0]: Path(ln.rsplit(" -> ", 1)[1]) for ln in lines}


def test_files_with_the_same_name_get_their_own_output_folders(
    cli_env: Path, make_media, tiny_whisper_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def interview(folder: str, seconds: float) -> Path:
        (tmp_path / folder).mkdir()
        return make_media(tmp_path / folder, "wav", seconds=seconds, content="speech").rename(
            tmp_path / folder / "interview.wav")

    first, second = interview("a", 8), interview("b", 11)
    assert first.name == second.name and first.read_bytes() != second.read_bytes()
    out = tmp_path / "out"
    common = ["--out", str(out), "--model", str(tiny_whisper_package), "--beam-size", "1", "--language", "en"]
    assert main(["--data-dir", str(cli_env), "--quiet", "transcribe", str(first), str(second), *common]) == 0
    folders = _folders(capsys.readouterr().out)
    assert set(folders) == {str(first), str(second)}
    assert folders[str(first)] != folders[str(second)]
    for src, folder in folders.items():
        t = json.loads((folder / "transcript.json").read_text())
        assert t["source"]["sha256"] == __import__("hashlib").sha256(Path(src).read_bytes()).hexdigest()
    # a later run of another file with that name does not replace either set of outputs
    third = interview("c", 9)
    assert main(["--data-dir", str(cli_env), "--quiet", "transcribe", str(third), *common]) == 0
    third_folder = _folders(capsys.readouterr().out)[str(third)]
    assert third_folder not in folders.values()
    # the same recording run again reuses its own folder
    assert main(["--data-dir", str(cli_env), "--quiet", "transcribe", str(first), *common]) == 0
    assert _folders(capsys.readouterr().out) == {str(first): folders[str(first)]}
