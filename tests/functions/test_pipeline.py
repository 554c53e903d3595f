"""Trigger → orchestrator (the real replay code) → activities → results API, in local mode and against
Azurite + the Cosmos DB server + the Event Grid receiver, which must give the same transcript."""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from functions.auth import FORCE_WIDE_ROLE, encode_principal
from functions.lifecycle import decide_and_start, instance_id_for
from shared.domain import JobStatus
from shared.services import CHUNKS, OUTPUTS, WORK, Services, set_services
from tests.fixtures.pipeline import without_run_identity
from tests.functions.helpers import Intake, http_request, user_code

OPTIONS = {"translate_to": "en", "formats": ["json", "txt", "srt"]}


# the jobs here come from blob deliveries with no submitter: force IT's integration, with the force-wide role
FORCE_WIDE = {"X-MS-CLIENT-PRINCIPAL": encode_principal({
    "http://schemas.microsoft.com/identity/claims/objectidentifier": "oid-force-it", "name": "Force IT",
    "extension_forceId": "met", "roles": [FORCE_WIDE_ROLE]})}


def _call(functions: dict[str, Any], name: str, client: Any, job_id: str, suffix: str = "",
          method: str = "GET", **route: str) -> tuple[int, Any]:
    req = http_request(method, f"v1/jobs/{job_id}{suffix}", headers=FORCE_WIDE,
                       route_params={"job_id": job_id, **route})
    resp = asyncio.run(user_code(functions[name])(req=req, client=client))
    body = resp.get_body()
    return resp.status_code, json.loads(body) if body else dict(resp.headers)


@pytest.fixture
def pipeline(intake_factory: Any, tiny_whisper_package: Path, vad_model_path: Path) -> Intake:
    return intake_factory(forces=("met",), whisper_model_dir=tiny_whisper_package, vad_model_path=vad_model_path,
                          intra_op_threads=1)


def _run_local(pipeline: Intake, media: Path) -> tuple[str, bytes]:
    notice = pipeline.upload(f"met/case-9/{media.name}", media.read_bytes(), metadata={"translate_to": "en"})
    outcome = asyncio.run(decide_and_start(pipeline.client, pipeline.services, notice, options=OPTIONS))
    assert outcome.action == "started" and outcome.job is not None
    assert pipeline.run(outcome.job.job_id) == "Completed"
    job = pipeline.services.jobs.get("met", outcome.job.job_id)
    assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.error
    return job.job_id, pipeline.services.blobs.download(job.outputs["json"])


@pytest.mark.slow
def test_local_upload_to_results(pipeline: Intake, app_functions: dict[str, Any], make_media: Any,
                                 tmp_path: Path) -> None:
    media = make_media(tmp_path, "wav", seconds=12, content="speech")
    job_id, transcript = _run_local(pipeline, media)
    status, job = _call(app_functions, "api_get_job", pipeline.client, job_id)
    assert status == 200 and job["status"] == "succeeded" and job["progress"]["percent"] == 100
    assert job["orchestration"]["runtimeStatus"] == "Completed"
    status, results = _call(app_functions, "api_get_results", pipeline.client, job_id, "/results")
    assert status == 200 and results["transcript"] == json.loads(transcript)
    assert results["transcript"]["translation"]["route"] == "whisper-translate"
    # the words a translation job makes for its checks are not in the outputs unless asked for
    assert results["transcript"]["segments"] and all(s["words"] is None for s in results["transcript"]["segments"])
    assert set(results["links"]) == {"txt", "srt"}
    assert Path(results["links"]["srt"].removeprefix("file://")).read_bytes().startswith(b"1\n")


def test_failed_job_retried_as_a_new_orchestration(pipeline: Intake, app_functions: dict[str, Any]) -> None:
    notice = pipeline.upload("met/broken.wav", b"RIFF\x00\x00\x00\x00WAVEjunk" * 100)
    outcome = asyncio.run(decide_and_start(pipeline.client, pipeline.services, notice))
    assert outcome.job is not None
    job_id = outcome.job.job_id
    assert pipeline.run(job_id) == "Completed"  # the orchestration ends; the job is failed with its reason
    failed = pipeline.services.jobs.get("met", job_id)
    assert failed is not None and failed.status is JobStatus.FAILED and failed.error is not None
    assert failed.error.code.startswith("media.")

    status, body = _call(app_functions, "api_retry_job", pipeline.client, job_id, "/retry", method="POST")
    assert status == 202 and body["attempt"] == 2 and body["status"] == "queued"
    retried = pipeline.services.jobs.get("met", job_id)
    assert retried is not None and instance_id_for(retried) == f"{job_id}:a2"
    assert pipeline.run(f"{job_id}:a2") == "Completed"
    again = pipeline.services.jobs.get("met", job_id)
    assert again is not None and again.status is JobStatus.FAILED and again.attempt == 2
    assert again.error is not None and again.error.code == failed.error.code
    # the first attempt's orchestration is kept as it was
    first = pipeline.runner.get_status(job_id)
    assert first is not None and first["runtimeStatus"] == "Completed"
    assert first["output"]["status"] == "failed"


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_azure_adapters_give_the_same_transcript_as_local_mode(
    pipeline: Intake, app_functions: dict[str, Any], make_media: Any, tmp_path: Path,
    azurite: Any, cosmos_server: Any, eventgrid_receiver: Any, eventgrid_publisher: Any,
) -> None:
    media = make_media(tmp_path, "wav", seconds=12, content="speech")
    _, local_transcript = _run_local(pipeline, media)
    assert json.loads(local_transcript)["segments"], "an empty transcript would make the comparison vacuous"

    # the same file uploaded to Azurite, with the job options as blob metadata
    blobs = azurite.blob_store()
    for container in ("incoming", CHUNKS, WORK, OUTPUTS):
        blobs.ensure_container(container)
    name = f"met/case-{uuid.uuid4().hex[:8]}/{media.name}"  # Azurite keeps blobs between sessions
    blobs.upload_file(f"incoming/{name}", media, metadata={"translate_to": "en", "formats": "json,txt,srt"})
    local = pipeline.services
    settings = replace(local.settings, mode="azure", blob_account_url=azurite.account_url)
    azure = Services(settings=settings, blobs=blobs, jobs=cosmos_server.job_store(), events=eventgrid_publisher,
                     _stt_factory=lambda: local.stt, _translator_factory=lambda: None)
    set_services(azure)

    # 100 deliveries of the BlobCreated event to the blob trigger: one job, one orchestration
    blob_client = azurite.service_client(azurite.token_credential()).get_blob_client("incoming", name)
    trigger = user_code(app_functions["blob_uploaded"])
    for _ in range(100):
        asyncio.run(trigger(blob=blob_client, client=pipeline.client))
    (job,) = azure.jobs.list_jobs("met")
    starts = [s for s in pipeline.client.starts if s[1] == job.job_id]
    assert len(starts) == 1 and job.source.ref == f"incoming/{name}" and job.options == OPTIONS

    assert pipeline.run(job.job_id) == "Completed"
    done = azure.jobs.get("met", job.job_id)
    assert done is not None and done.status is JobStatus.SUCCEEDED, done and done.error
    azure_transcript = blobs.download(done.outputs["json"])
    assert without_run_identity(azure_transcript) == without_run_identity(local_transcript)

    completed = [e for e in eventgrid_receiver.events if e["type"] == "uk.police.toex.job.completed"]
    assert [e["data"]["jobId"] for e in completed] == [job.job_id]

    # results: transcript inline, other formats as user-delegation SAS links that read the blob
    status, results = _call(app_functions, "api_get_results", pipeline.client, job.job_id, "/results")
    assert status == 200 and json.dumps(results["transcript"]).encode() and set(results["links"]) == {"txt", "srt"}
    link = results["links"]["srt"]
    assert "skoid=" in link and "sp=r" in link and "sig=" in link  # user delegation, read-only
    context = ssl.create_default_context(cafile=str(azurite.cert_path))
    with urllib.request.urlopen(link, context=context, timeout=30) as resp:
        assert resp.read() == blobs.download(done.outputs["srt"])
    # the audited download: a 302 to a user-delegation SAS; the trail, in the Cosmos access container
    status, headers = _call(app_functions, "api_download_output", pipeline.client, job.job_id, "/outputs/txt",
                            fmt="txt")
    assert status == 302 and "skoid=" in headers["Location"] and "sp=r" in headers["Location"]
    status, trail = _call(app_functions, "api_get_audit", pipeline.client, job.job_id, "/audit")
    assert status == 200 and [(e["action"], e["detail"], e["user"]) for e in trail["entries"]] == [
        ("view", "attempt=1", "Force IT (oid-force-it)"), ("download", "format=txt", "Force IT (oid-force-it)")]
    assert [e.action for e in azure.jobs.list_access("met", job.job_id)] == ["view", "download"]
