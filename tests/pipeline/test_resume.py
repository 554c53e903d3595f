"""Kill the run mid-way, start it again: it finishes without repeating completed chunks."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.durable_functions.models.history import HistoryEventType as Ev

REPO = Path(__file__).resolve().parents[2]


def _history(db: Path) -> list[dict]:  # type: ignore[type-arg]
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            row = conn.execute("SELECT history FROM instances").fetchone()
    except sqlite3.OperationalError:  # the run has not created its tables yet
        return []
    return json.loads(row[0]) if row else []


def _completed_chunks(history: list[dict]) -> dict[int, int]:  # type: ignore[type-arg]
    """transcribe_chunk event id → chunk index, for the chunks whose completion is in history."""
    scheduled = {
        e["EventId"]: json.loads(e["Input"])["index"]
        for e in history
        if e["EventType"] == Ev.TASK_SCHEDULED and e["Name"] == "transcribe_chunk"
    }
    return {
        e["TaskScheduledId"]: scheduled[e["TaskScheduledId"]]
        for e in history
        if e["EventType"] == Ev.TASK_COMPLETED and e["TaskScheduledId"] in scheduled
    }


@pytest.mark.slow
def test_killed_run_resumes_without_redoing_completed_chunks(
    speech_with_pauses_wav: Path, tiny_whisper_package: Path, vad_model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "TOEX_VAD_MODEL": str(vad_model_path),
        "TOEX_CHUNK_MINUTES": "0.5",
        "TOEX_INTRA_OP_THREADS": "1",
        "PYTHONPATH": str(REPO),
    }
    base = [sys.executable, "-m", "functions.local", "--data-dir", str(data), "--quiet"]
    run = subprocess.Popen(
        [
            *base,
            "transcribe",
            str(speech_with_pauses_wav),
            "--out",
            str(tmp_path / "out"),
            "--model",
            str(tiny_whisper_package),
            "--beam-size",
            "1",
            "--language",
            "en",
            "--workers",
            "1",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "run.log").open("wb"),
    )
    db = data / "taskhub.db"
    deadline = time.monotonic() + 300
    while len(_completed_chunks(_history(db))) < 3:
        log = (tmp_path / "run.log").read_text(errors="replace")[-2000:]
        assert run.poll() is None, f"the run ended before it could be killed: {log}"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    before = _history(db)
    done_before = _completed_chunks(before)
    n_chunks = json.loads(next((data / "blobs" / "work").rglob("plan.json")).read_text())["chunks"]
    assert len(done_before) < len(n_chunks), "killed too late to prove anything"
    work = next((data / "blobs" / "work").iterdir()) / "a1"  # work/<job>/a<attempt>/
    stamps = {i: (work / f"transcribe-{i:05d}.json").stat().st_mtime_ns for i in done_before.values()}

    resumed = subprocess.run(
        [*base, "resume", "--workers", "1", "--model", str(tiny_whisper_package)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "succeeded" in resumed.stdout
    after = _history(db)
    assert after[: len(before)] == before  # history only grows
    scheduled = [
        json.loads(e["Input"])["index"]
        for e in after
        if e["EventType"] == Ev.TASK_SCHEDULED and e["Name"] == "transcribe_chunk"
    ]
    assert sorted(scheduled) == list(range(len(n_chunks)))  # each chunk scheduled once, none twice
    for i, mtime in stamps.items():  # completed chunks were not transcribed again
        assert (work / f"transcribe-{i:05d}.json").stat().st_mtime_ns == mtime
    assert len(_completed_chunks(after)) == len(n_chunks)
