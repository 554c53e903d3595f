"""Speaker labels through the whole local pipeline: a real two-voice espeak-ng dialogue, Whisper base and
the real speaker encoder (the project's fetch code exports it once into the model cache)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import dialogues
from functions.local.app import LocalApp
from shared.domain import JobStatus, Progress
from tests.fixtures.mediagen import write_media
from tests.fixtures.pipeline import MakeApp, transcript_of

pytestmark = [pytest.mark.real_model, pytest.mark.slow]


def _history(app: LocalApp, job_id: str) -> str:
    inst = app.hub.load(job_id)
    assert inst is not None
    return json.dumps(inst.history, ensure_ascii=False)


def _reference_speaker(turns: tuple[dialogues.Turn, ...], start: float, end: float) -> str:
    """The reference speaker who talks longest within [start, end]."""
    return max(turns, key=lambda t: min(t.end, end) - max(t.start, start)).speaker


def test_a_two_voice_dialogue_is_labelled_s1_s2_and_a_job_without_the_option_is_not_diarized(
    make_app: MakeApp, whisper_base_int8_package: Path, tmp_path: Path
) -> None:
    dialogue = dialogues.build("dialogue-2")
    src = tmp_path / "interview.wav"
    write_media(src, dialogue.audio, fmt="wav", codec="pcm_s16le")
    app = make_app(whisper_base_int8_package, chunk_minutes=0.5)  # several chunks: one label per voice across them

    job, _ = app.submit(src, {"formats": ["json", "txt"], "language": "en", "speakers": "auto"})
    final = app.run(job)
    assert final.status is JobStatus.SUCCEEDED, final.error
    assert final.progress.chunks_total >= 2
    t = transcript_of(app, final)
    assert t["diarization"]["speaker_count"] == 2 and t["diarization"]["requested"] == "auto"
    labels = [s["speaker"] for s in t["segments"]]
    assert set(labels) == {"S1", "S2"} and labels[0] == "S1"
    role = {"S1": "officer", "S2": "suspect"}  # labels follow first appearance: the officer opens
    right = [role[s["speaker"]] == _reference_speaker(dialogue.turns, s["start"], s["end"]) for s in t["segments"]]
    assert sum(right) / len(right) >= 0.9, right
    assert all(s.get("words") is None for s in t["segments"])  # words were used, not asked for
    assert t["params"]["word_timestamps"] is False
    txt = app.blobs.local_path(final.outputs["txt"]).read_text(encoding="utf-8")
    assert "S1: " in txt and "S2: " in txt
    history = _history(app, job.job_id)
    assert '"diarize_chunk"' in history and '"diarize"' in history
    for seg in t["segments"]:  # references and counts only
        if len(seg["text"].strip()) > 12:
            assert seg["text"].strip() not in history
    assert '"starts"' not in history and '"embeddings"' not in history
    stages = [e["data"]["progress"]["stage"] for e in app.services.events.read_all()  # type: ignore[attr-defined]
              if e["type"].endswith(".progress") and e["data"]["jobId"] == job.job_id]
    assert stages == ["probing", "planning", "transcribing", "diarizing", "rendering"]

    plain, _ = app.submit(src, {"formats": ["json", "txt"], "language": "en"})
    done = app.run(plain)
    assert done.status is JobStatus.SUCCEEDED, done.error
    u = transcript_of(app, done)
    assert u["diarization"] is None and all(s["speaker"] is None and s["words"] is None for s in u["segments"])
    assert "diarize" not in _history(app, plain.job_id)
    assert "diarizing" not in [e["data"]["progress"]["stage"] for e in app.services.events.read_all()  # type: ignore[attr-defined]
                               if e["data"]["jobId"] == plain.job_id]
    assert "S1: " not in app.blobs.local_path(done.outputs["txt"]).read_text(encoding="utf-8")


def test_speaker_names_on_the_cli_write_an_overlay_and_render_the_outputs_again(
    whisper_base_int8_package: Path, vad_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import hashlib
    import io

    from docx import Document

    from functions.local.cli import main

    script = [("officer", "This interview is being recorded. Please tell me your full name."),
              ("suspect", "My name is Daniel Price."),
              ("officer", "Where were you on Friday night?"),
              ("suspect", "I was at home with my girlfriend all evening.")]
    src = tmp_path / "interview.wav"
    write_media(src, dialogues.build("names", script=script).audio, fmt="wav", codec="pcm_s16le")
    monkeypatch.setenv("TOEX_VAD_MODEL", str(vad_model_path))
    monkeypatch.setenv("TOEX_INTRA_OP_THREADS", "1")
    out = tmp_path / "out"
    rc = main(["--data-dir", str(tmp_path / "data"), "--quiet", "transcribe", str(src), "--out", str(out),
               "--model", str(whisper_base_int8_package), "--language", "en", "--beam-size", "1",
               "--speaker-names", "DC Hale, Daniel Price"])  # speakers are on by default
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    folder = out / "interview"
    data = (folder / "transcript.json").read_bytes()
    t = json.loads(data)
    assert [r["id"] for r in t["diarization"]["speakers"]] == ["S1", "S2"]
    assert "DC Hale" not in data.decode("utf-8")  # the machine's output as it was
    overlay = json.loads((folder / "overlay.json").read_text(encoding="utf-8"))
    assert overlay["transcript_sha256"] == hashlib.sha256(data).hexdigest() and overlay["version"] == 1
    assert overlay["speaker_names"] == {"S1": "DC Hale", "S2": "Daniel Price"}
    entry = overlay["history"][0]
    assert entry["by"].startswith("local user ") and entry["at"].endswith("Z")
    assert entry["changes"] == {"S1": [None, "DC Hale"], "S2": [None, "Daniel Price"]}
    txt = (folder / "interview.txt").read_text(encoding="utf-8")
    assert "DC Hale: " in txt and "Daniel Price: " in txt and "] S1:" not in txt and "] S2:" not in txt
    assert "<v DC Hale>" in (folder / "interview.vtt").read_text(encoding="utf-8")
    assert "\nDaniel Price: " in (folder / "interview.srt").read_text(encoding="utf-8")
    table = Document(io.BytesIO((folder / "interview.docx").read_bytes())).tables[-1]
    assert {r.cells[1].text for r in table.rows[1:]} == {"DC Hale", "Daniel Price"}
    assert "overlay" in printed.out


def test_the_diarizing_stage_sits_between_transcription_and_translation() -> None:
    done = Progress("transcribing", 4, 4).percent
    assert done < Progress("diarizing", 4, 4).percent < Progress("translating", 4, 4).percent
