"""The record's header details given at submission, through the blob trigger's own code, the real
orchestrator and activities (tiny Whisper, the real speaker encoder) and the results and rename routes."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import pytest

from functions import api
from functions.contracts import RenderOutputs
from functions.lifecycle import start_from_blob
from functions.local.uploads import LocalBlobClient
from functions.renaming import SUMMARY_KEY
from functions.results import render_outputs
from shared.domain import JobStatus
from shared.outputs.overlay import load_overlay
from tests.fixtures.pipeline import without_run_identity
from tests.functions.helpers import ACCOUNT_URL, Intake, http_request, principal_header

PERSONS = ["DC Hale", "Mr Smith", "Zoë Łukasz"]
PAGE_METADATA = {  # as the page sends them: its long names, percent-encoded (encodeURIComponent)
    "case_reference": quote("OP-PINE/24", safe=""), "exhibit_reference": quote("JB/1", safe=""),
    "persons_present": quote("; ".join(PERSONS), safe="")}
PC = principal_header("met", oid="oid-pc1234")


@pytest.fixture
def pipeline(intake_factory: Any, tiny_whisper_package: Path, vad_model_path: Path) -> Intake:
    return intake_factory(forces=("met",), whisper_model_dir=tiny_whisper_package, vad_model_path=vad_model_path,
                          intra_op_threads=1)


def _upload_and_run(pipeline: Intake, media: Path, name: str, metadata: dict[str, str]) -> Any:
    ref = f"incoming/met/{name}"
    pipeline.services.blobs.upload(ref, media.read_bytes(), overwrite=True,
                                   metadata={"submitted_by": "oid-pc1234", "formats": "json,txt,docx", **metadata})
    outcome = asyncio.run(start_from_blob(LocalBlobClient(f"{ACCOUNT_URL}/{ref}", ref, pipeline.services.blobs),
                                          pipeline.client))  # the blob trigger's own code
    assert outcome.job is not None
    if outcome.action == "started":
        assert pipeline.run(outcome.job.job_id) == "Completed"
    job = pipeline.services.jobs.get("met", outcome.job.job_id)
    assert job is not None
    return job


def _call(pipeline: Intake, handler: api.Handler, job_id: str, suffix: str, method: str = "GET",
          body: Any = None) -> tuple[int, Any]:
    req = http_request(method, f"v1/jobs/{job_id}{suffix}", headers=PC, body=body, route_params={"job_id": job_id})
    resp = asyncio.run(api.guarded(handler, req, pipeline.client, pipeline.services))
    return resp.status_code, json.loads(resp.get_body())


def _docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


@pytest.mark.slow
def test_references_and_persons_reach_the_record_header_not_the_transcript(pipeline: Intake, make_media: Any,
                                                                           tmp_path: Path) -> None:
    media = make_media(tmp_path, "wav", seconds=12, content="speech")
    job = _upload_and_run(pipeline, media, "case-9/interview.wav", {**PAGE_METADATA, "speakers": "2"})
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.options["persons_present"] == PERSONS and job.options["case_ref"] == "OP-PINE/24"
    blobs = pipeline.services.blobs
    txt = blobs.download(job.outputs["txt"]).decode("utf-8")
    header = txt.split("\n\n", 1)[0]
    assert "Case reference:" in header and "OP-PINE/24" in header and "JB/1" in header
    assert "DC Hale; Mr Smith; Zoë Łukasz" in header
    record = _docx_text(blobs.download(job.outputs["docx"]))
    assert "OP-PINE/24" in record and "JB/1" in record and "DC Hale; Mr Smith; Zoë Łukasz" in record
    # transcript.json is the machine's: none of it there, and the overlay is bound to its bytes
    machine = blobs.download(job.outputs["json"])
    transcript = json.loads(machine)
    for given in ("OP-PINE/24", "JB/1", *PERSONS):
        assert given not in machine.decode("utf-8")
    held = job.summary[SUMMARY_KEY]
    assert held["attempt"] == 1 and held["version"] == 1 and held["ref"].startswith("outputs/met/")
    overlay = load_overlay(blobs.download(held["ref"]), machine, transcript)
    assert overlay["record"] == {"case_reference": "OP-PINE/24", "exhibit_reference": "JB/1",
                                 "persons_present": PERSONS}
    assert overlay["history"][0]["by"] == "oid-pc1234" and overlay["history"][0]["at"] == job.created_at
    # personal data stays in the job record and the overlay: never in orchestration history
    inst = pipeline.runner.hub.load(job.job_id)
    assert inst is not None
    history = json.dumps(inst.history, ensure_ascii=False)
    for given in PERSONS:
        assert given not in history and quote(given, safe="") not in history
    assert held["ref"] in history  # the Rendered summary carries the reference only

    # a retried render activity writes nothing new and fails on nothing (write-once outputs and overlay)
    scheduled = next(e for e in inst.history if e.get("Name") == "render_outputs")
    again = render_outputs(RenderOutputs.from_dict(json.loads(scheduled["Input"])))
    assert again.outputs == job.outputs and again.summary[SUMMARY_KEY] == held

    status, results = _call(pipeline, api.get_results, job.job_id, "/results")
    assert status == 200 and results["record"] == overlay["record"] and results["speakers"]["version"] == 1

    # a rename builds on it: version 2, the references kept
    labels = results["speakers"]["labels"]
    assert labels, "the speaker encoder found no voice"
    status, renamed = _call(pipeline, api.rename_speakers, job.job_id, "/speakers", "PUT",
                            {"names": {labels[0]: "DC Hale"}})
    assert status == 200 and renamed["speakers"]["version"] == 2
    after = pipeline.services.jobs.get("met", job.job_id)
    assert after is not None and after.summary[SUMMARY_KEY]["version"] == 2
    txt2 = blobs.download(after.outputs["txt"]).decode("utf-8")
    assert "OP-PINE/24" in txt2 and "DC Hale; Mr Smith; Zoë Łukasz" in txt2 and f"DC Hale ({labels[0]})" in txt2
    assert after.outputs["json"] == job.outputs["json"]
    status, results = _call(pipeline, api.get_results, job.job_id, "/results")
    assert results["record"]["case_reference"] == "OP-PINE/24"

    # the same recording without them: the same transcript.json but for the run's identity
    plain = _upload_and_run(pipeline, media, "case-10/interview.wav", {"speakers": "2"})
    assert plain.status is JobStatus.SUCCEEDED, plain.error
    other = blobs.download(plain.outputs["json"])
    assert SUMMARY_KEY not in plain.summary and "Case reference" not in blobs.download(plain.outputs["txt"]).decode()
    assert without_run_identity(machine) == without_run_identity(other)
    assert machine.replace(job.job_id.encode(), b"").replace(job.created_at.encode(), b"") == other.replace(
        plain.job_id.encode(), b"").replace(plain.created_at.encode(), b"")


def test_a_bad_reference_fails_the_upload_with_the_reason(pipeline: Intake, make_media: Any, tmp_path: Path) -> None:
    media = make_media(tmp_path, "wav", seconds=2, content="speech")
    job = _upload_and_run(pipeline, media, "bad.wav", {"case_reference": quote("<script>", safe=""),
                                                       "persons_present": quote("DC Hale", safe="")})
    assert job.status is JobStatus.FAILED and job.error is not None
    assert job.error.code == "intake.bad_options"
    assert job.error.message == ("invalid metadata: case_ref is not a reference "
                                 "(letters, digits, / . - and spaces, at most 64)")
    assert pipeline.runner.hub.load(job.job_id) is None  # refused before any orchestration


def test_a_host_submitting_unchecked_options_gets_the_same_reason(make_app: Any, make_media: Any,
                                                                  tiny_whisper_package: Path, tmp_path: Path) -> None:
    """The local host hands its options to intake as they are: the render step checks them again."""
    src = make_media(tmp_path, "wav", seconds=3, content="speech")
    app = make_app(tiny_whisper_package)
    job, _ = app.submit(src, {"beam_size": 1, "persons_present": ["DC Hale", "Mr\nSmith"]})
    final = app.run(job)
    assert final.status is JobStatus.FAILED and final.error is not None and not final.outputs
    assert final.error.code == "intake.bad_options"
    assert final.error.message == "persons_present: name 2 must be one line without control characters"
