"""``render_audio`` in the local pipeline: the rendition beside the outputs, write-once, by reference only."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

from functions.auth import FORCE_WIDE_ROLE
from functions.contracts import JobStep
from functions.lifecycle import decide_and_start
from functions.rendition import render_audio
from shared.domain import JobStatus
from tests.fixtures import mediagen
from tests.fixtures.pipeline import MakeApp
from tests.functions.helpers import http_request, principal_header, user_code


def test_a_two_track_mkv_gets_a_rendition_once_and_a_wav_none(make_app: MakeApp, make_media: Any,
                                                                tiny_whisper_package: Path, tmp_path: Path) -> None:
    app = make_app(tiny_whisper_package)
    src = mediagen.write_tracks(tmp_path / "two.mkv", [
        mediagen.AudioTrack(mediagen.speech(6)), mediagen.AudioTrack(mediagen.speech(4), start_s=2.0)],
        fmt="matroska", codec="flac", rate=16000)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    job, _ = app.submit(src, {"beam_size": 1})
    final = app.run(job)
    assert final.status is JobStatus.SUCCEEDED, final.error
    playback = final.summary["playback"]
    rendition = playback["rendition"]
    assert playback["playable_original"] is False and "2 audio streams" in playback["reason"]
    assert rendition["ref"] == f"outputs/{final.force_id}/{final.job_id}/a{final.attempt}/two.playback.m4a"
    stored = app.blobs.local_path(rendition["ref"])
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == rendition["sha256"]
    assert abs(rendition["duration_s"] - final.summary["duration_s"]) < 0.05 and rendition["streams"] == [0, 1]
    assert "playback" not in final.outputs and hashlib.sha256(src.read_bytes()).hexdigest() == before
    history = json.dumps(app.hub.load(job.instance_id).history)
    assert '"render_audio"' in history and rendition["sha256"] in history  # the reference and digest only
    # a retried activity finds the write-once rendition and describes it again without writing it
    mtime = stored.stat().st_mtime_ns
    again = render_audio(JobStep(job_id=final.job_id, force_id=final.force_id, attempt=final.attempt))
    assert again.playback["rendition"] == rendition and stored.stat().st_mtime_ns == mtime

    wav = make_media(tmp_path, "wav", seconds=4)
    plain = app.run(app.submit(wav, {"beam_size": 1})[0])
    assert plain.summary["playback"] == {"playable_original": True, "reason": None, "rendition": None}


def test_the_results_api_says_how_to_play_and_links_the_rendition(intake_factory: Any, app_functions: dict[str, Any],
                                                                  tiny_whisper_package: Path, vad_model_path: Path,
                                                                  make_media: Any, tmp_path: Path) -> None:
    pipeline = intake_factory(forces=("met",), whisper_model_dir=tiny_whisper_package, vad_model_path=vad_model_path,
                              intra_op_threads=1)
    media = make_media(tmp_path, "3gp", seconds=5)  # AMR-NB: no browser plays it
    notice = pipeline.upload(f"met/case-3/{media.name}", media.read_bytes())
    outcome = asyncio.run(decide_and_start(pipeline.client, pipeline.services, notice))
    assert outcome.job is not None and pipeline.run(outcome.job.job_id) == "Completed"
    job_id = outcome.job.job_id
    # a blob dropped without a submitter: reachable with the force-wide role only (need to know)
    req = http_request("GET", f"v1/jobs/{job_id}/results", headers=principal_header("met", roles=(FORCE_WIDE_ROLE,)),
                       route_params={"job_id": job_id})
    resp = asyncio.run(user_code(app_functions["api_get_results"])(req=req, client=pipeline.client))
    results = json.loads(resp.get_body())
    assert resp.status_code == 200 and results["playback"]["playable_original"] is False
    rendition = results["playback"]["rendition"]
    audio = Path(results["links"]["audio"].removeprefix("file://")).read_bytes()
    assert hashlib.sha256(audio).hexdigest() == rendition["sha256"]
    assert abs(rendition["duration_s"] - results["transcript"]["source"]["duration_s"]) < 0.05
