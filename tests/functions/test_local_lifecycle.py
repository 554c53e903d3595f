"""The local host submits, retries and cancels through the same intake and lifecycle code as Azure's.

Retry, as in Azure: any failed or cancelled job (not one rejected at intake) runs again as a new
instance ``<job>:a<n>``, with progress and outputs reset, and every earlier attempt's history stays
queryable in the task hub.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from functions.lifecycle import InvalidState
from functions.local.app import LocalApp
from shared.domain import JobStatus, Progress
from tests.functions.helpers import make_settings

AUDIO = b"RIFF" + bytes(range(256)) * 40  # a truncated WAV: every attempt fails at probing, no model needed


@pytest.fixture
def app(tmp_path: Path) -> LocalApp:
    return LocalApp(make_settings(tmp_path / "data"), retry_interval_scale=0.001)


def _file(tmp_path: Path, name: str, data: bytes = AUDIO) -> Path:
    path = tmp_path / "drop" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_retry_of_a_failed_job_is_a_new_attempt_and_keeps_the_first(app: LocalApp, tmp_path: Path) -> None:
    path = _file(tmp_path, "a.wav")
    job, new = app.submit(path, {})
    assert new and job.instance_id == job.job_id
    failed = app.run(job)
    assert failed.status is JobStatus.FAILED and failed.error is not None
    first = app.hub.load(job.job_id)
    assert first is not None and first.status in ("Completed", "Failed") and first.history
    # what a run that failed mid-way leaves on the record: its progress and any outputs
    stale = app.jobs.update(replace(failed, progress=Progress("transcribing", 8, 5), outputs={"json": "x/y.json"}))

    second = app.retry(stale)

    assert second.attempt == 2 and second.instance_id == f"{job.job_id}:a2"
    assert second.status is JobStatus.FAILED and second.error is not None
    assert (second.progress.chunks_total, second.progress.chunks_done) == (0, 0) and second.outputs == {}
    again = app.hub.load(f"{job.job_id}:a2")
    assert again is not None and again.history
    kept = app.hub.load(job.job_id)
    assert kept is not None and kept.history == first.history  # attempt 1 is not wiped
    assert sorted(s[1] for s in app.client.starts) == [job.job_id, f"{job.job_id}:a2"]
    third = app.retry(second)
    assert third.instance_id == f"{job.job_id}:a3" and app.hub.load(f"{job.job_id}:a2") is not None


def test_a_cancelled_job_can_be_retried_and_a_finished_one_cannot_be_cancelled(app: LocalApp, tmp_path: Path) -> None:
    job, _ = app.submit(_file(tmp_path, "b.wav"), {})
    cancelled = app.cancel(job)
    assert cancelled.status is JobStatus.CANCELLED
    assert app.client.terminated == [(job.job_id, "cancelled by caller")]
    retried = app.retry(cancelled)
    assert retried.attempt == 2 and retried.status is JobStatus.FAILED
    with pytest.raises(InvalidState):
        app.cancel(retried)


def test_intake_rules_apply_locally_and_a_rejected_file_cannot_be_retried(app: LocalApp, tmp_path: Path) -> None:
    job, new = app.submit(_file(tmp_path, "notes.exe", b"not media"), {})
    assert new and job.status is JobStatus.FAILED and job.error is not None
    assert job.error.code == "intake.unsupported_type"
    assert app.run(job) == job and app.hub.load(job.instance_id) is None  # nothing was started
    with pytest.raises(InvalidState, match="rejected at intake"):
        app.retry(job)
    empty, _ = app.submit(_file(tmp_path, "empty.wav", b""), {})
    assert empty.error is not None and empty.error.code == "intake.empty"


def test_a_drop_folder_file_is_one_job(app: LocalApp, tmp_path: Path) -> None:
    path = _file(tmp_path, "c.wav")
    job, new = app.submit_once(path, {})
    same, again = app.submit_once(path, {})
    assert new and not again and same.job_id == job.job_id
    assert job.source.ref.endswith("/c.wav") and app.blobs.local_path(job.source.ref) == path.resolve()


def test_the_cli_retries_and_cancels_through_the_lifecycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from functions.local.cli import main

    data = ["--data-dir", str(tmp_path / "data"), "--quiet"]
    assert main([*data, "transcribe", str(_file(tmp_path, "d.wav")), "--out", str(tmp_path / "out")]) == 1
    app = LocalApp(make_settings(tmp_path / "data"))
    (job,) = app.jobs.list_all(10)
    capsys.readouterr()
    assert main([*data, "retry", job.job_id[:12]]) == 1
    assert capsys.readouterr().out.strip() == f"{job.job_id}: failed"
    retried = app.jobs.get(job.force_id, job.job_id)
    assert retried is not None and retried.attempt == 2 and app.hub.load(f"{job.job_id}:a2") is not None
    assert main([*data, "cancel", job.job_id[:12]]) == 2
    assert "has finished (failed) and cannot be cancelled" in capsys.readouterr().err
    # the retry is in the job's access trail as this machine's user; the refused cancel is not
    trail = app.jobs.list_access(job.force_id, job.job_id)
    assert [(e.action, e.detail) for e in trail] == [("retry", "attempt=2")]
    assert trail[0].user.startswith("local:") and len(trail[0].user) > len("local:")
    assert main([*data, "retry", "job-nope"]) == 2
