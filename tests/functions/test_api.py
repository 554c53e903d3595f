"""The HTTP API through the registered functions: authentication, force scoping, submit, cancel, retry."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import azure.functions as func
import pytest

from functions.auth import Forbidden, Unauthenticated, encode_principal, principal_from_headers
from functions.lifecycle import decide_and_start
from shared.domain import Job, JobStatus
from tests.functions.helpers import ACCOUNT_URL, Intake, http_request, principal_header, user_code

AUDIO = b"RIFF" + bytes(range(256)) * 40


class Api:
    def __init__(self, functions: dict[str, Any], intake: Intake) -> None:
        self.functions, self.intake = functions, intake

    def call(self, name: str, method: str, route: str, *, force: str | None = "met", headers: Any = None,
             **kw: Any) -> tuple[int, Any]:
        hdrs = principal_header(force) if headers is None else headers
        req = http_request(method, route, headers=hdrs, **kw)
        resp: func.HttpResponse = asyncio.run(user_code(self.functions[name])(req=req, client=self.intake.client))
        body = resp.get_body()
        return resp.status_code, json.loads(body) if body else None

    def job_call(self, name: str, method: str, job_id: str, suffix: str = "", **kw: Any) -> tuple[int, Any]:
        return self.call(name, method, f"v1/jobs/{job_id}{suffix}", route_params={"job_id": job_id}, **kw)


@pytest.fixture
def api(app_functions: dict[str, Any], intake: Intake) -> Api:
    return Api(app_functions, intake)


def _job(intake: Intake, name: str) -> Job:
    """A job submitted by the officer ``principal_header`` names (need to know: callers see their own)."""
    outcome = asyncio.run(decide_and_start(intake.client, intake.services, intake.upload(name, AUDIO + name.encode()),
                                           submitted_by="00000000-0000-0000-0000-000000000001"))
    assert outcome.job is not None
    return outcome.job


def test_principal_parsing() -> None:
    oid = "http://schemas.microsoft.com/identity/claims/objectidentifier"
    p = principal_from_headers(principal_header("met"))
    assert (p.force_id, p.user_id, p.name) == ("met", "00000000-0000-0000-0000-000000000001", "PC 1234")
    assert principal_from_headers(principal_header("kent", via="role")).force_id == "kent"
    with pytest.raises(Unauthenticated):
        principal_from_headers({})
    with pytest.raises(Unauthenticated):
        principal_from_headers({"X-MS-CLIENT-PRINCIPAL": "not base64 json!"})
    with pytest.raises(Forbidden):
        principal_from_headers(principal_header(None))
    two = encode_principal({oid: "u", "roles": ["Force.met", "Force.kent"]})
    with pytest.raises(Forbidden):
        principal_from_headers({"x-ms-client-principal": two})
    with pytest.raises(Forbidden):
        principal_from_headers(principal_header("durham"), known_forces=("met", "kent"))


def test_no_principal_is_401_and_no_force_is_403(api: Api) -> None:
    status, body = api.call("api_list_jobs", "GET", "v1/jobs", headers={})
    assert status == 401 and body["title"] == "Unauthenticated"
    assert api.call("api_list_jobs", "GET", "v1/jobs", force=None)[0] == 403
    assert api.call("api_list_jobs", "GET", "v1/jobs", force="durham")[0] == 403  # not served here


def test_another_forces_job_is_not_found(api: Api, intake: Intake) -> None:
    kent = _job(intake, "kent/secret.wav")
    for name, method, suffix in (("api_get_job", "GET", ""), ("api_get_results", "GET", "/results"),
                                 ("api_cancel_job", "POST", "/cancel"), ("api_retry_job", "POST", "/retry")):
        status, body = api.job_call(name, method, kent.job_id, suffix, force="met")
        assert status == 404, name
        assert kent.job_id not in json.dumps(body) and "kent" not in json.dumps(body)
        assert api.job_call(name, method, kent.job_id, suffix, headers={})[0] == 401
    assert intake.services.jobs.get("kent", kent.job_id).status is JobStatus.QUEUED  # type: ignore[union-attr]
    assert intake.client.terminated == []
    assert api.job_call("api_get_job", "GET", kent.job_id, force="kent")[0] == 200


def test_list_shows_only_the_callers_force(api: Api, intake: Intake) -> None:
    mine = {_job(intake, f"met/{i}.wav").job_id for i in range(3)}
    _job(intake, "kent/k.wav")
    status, body = api.call("api_list_jobs", "GET", "v1/jobs")
    assert status == 200 and body["forceId"] == "met" and {j["job_id"] for j in body["jobs"]} == mine
    assert api.call("api_list_jobs", "GET", "v1/jobs", params={"status": "failed"})[1]["jobs"] == []
    assert len(api.call("api_list_jobs", "GET", "v1/jobs", params={"status": "queued"})[1]["jobs"]) == 3
    assert api.call("api_list_jobs", "GET", "v1/jobs", params={"status": "bogus"})[0] == 400
    assert api.call("api_list_jobs", "GET", "v1/jobs", params={"limit": "0"})[0] == 400


def test_get_job_shows_status_progress_and_orchestration(api: Api, intake: Intake) -> None:
    job = _job(intake, "met/p.wav")
    status, body = api.job_call("api_get_job", "GET", job.job_id)
    assert status == 200 and body["status"] == "queued" and body["progress"]["percent"] == 0
    assert body["orchestration"] == {"instanceId": job.job_id, "runtimeStatus": "Pending"}
    assert body["links"]["results"] == f"/api/v1/jobs/{job.job_id}/results"
    assert api.job_call("api_get_results", "GET", job.job_id, "/results")[0] == 409


def test_submit_by_blob_url(api: Api, intake: Intake) -> None:
    intake.upload("met/case/one.wav", AUDIO)
    url = f"{ACCOUNT_URL}/incoming/met/case/one.wav"
    status, first = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url})
    assert status == 202 and first["status"] == "queued" and first["submitted_by"].startswith("0000")
    status, again = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url})
    assert status == 200 and again["job_id"] == first["job_id"]
    status, translated = api.call("api_submit_job", "POST", "v1/jobs",
                                  body={"blobUrl": url, "options": {"translate_to": "en", "formats": ["json"]}})
    assert status == 202 and translated["job_id"] != first["job_id"]
    assert translated["options"] == {"translate_to": "en", "formats": ["json"]}
    assert [s[1] for s in intake.client.starts] == [first["job_id"], translated["job_id"]]

    intake.upload("kent/theirs.wav", AUDIO)
    for body in ({"blobUrl": f"{ACCOUNT_URL}/incoming/kent/theirs.wav"},  # another force's upload
                 {"blobUrl": f"{ACCOUNT_URL}/incoming/met/missing.wav"},
                 {"blobUrl": f"{ACCOUNT_URL}/outputs/met/{first['job_id']}/a1/transcript.json"}):
        assert api.call("api_submit_job", "POST", "v1/jobs", body=body)[0] == 404, body
    assert api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url, "options": {"x": 1}})[0] == 400
    assert api.call("api_submit_job", "POST", "v1/jobs", body={})[0] == 400
    intake.upload("met/notes.exe", b"hello")
    status, rejected = api.call("api_submit_job", "POST", "v1/jobs",
                                body={"blobUrl": f"{ACCOUNT_URL}/incoming/met/notes.exe"})
    assert status == 422 and rejected["error"]["code"] == "intake.unsupported_type"
    assert len(intake.client.starts) == 2


def test_the_api_accepts_the_option_and_refuses_a_bad_one(api: Api, intake: Intake) -> None:
    intake.upload("met/case/two.wav", AUDIO)
    url = f"{ACCOUNT_URL}/incoming/met/case/two.wav"
    status, job = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url, "options": {"speakers": "2-4"}})
    assert status == 202 and job["options"] == {"speakers": "2-4"}
    for bad in ("two", "5-1", 0, False):
        assert api.call("api_submit_job", "POST", "v1/jobs",
                        body={"blobUrl": url, "options": {"speakers": bad}})[0] == 400, bad


def test_cancel_then_retry_as_a_new_attempt(api: Api, intake: Intake) -> None:
    job = _job(intake, "met/c.wav")
    status, body = api.job_call("api_cancel_job", "POST", job.job_id, "/cancel")
    assert status == 202 and body["status"] == "cancelled"
    assert intake.client.terminated == [(job.job_id, "cancelled by caller")]
    cancelled = [e for e in intake.services.events.read_all() if e["type"] == "uk.police.toex.job.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["data"]["jobId"] == job.job_id
    assert intake.run(job.job_id) == "Terminated"  # the runner honours the termination
    assert api.job_call("api_cancel_job", "POST", job.job_id, "/cancel")[0] == 409

    status, body = api.job_call("api_retry_job", "POST", job.job_id, "/retry")
    assert status == 202 and body["status"] == "queued" and body["attempt"] == 2
    assert intake.client.starts[-1][1:] == (f"{job.job_id}:a2", {"job_id": job.job_id, "force_id": "met", "attempt": 2})
    status, body = api.job_call("api_get_job", "GET", job.job_id)
    assert body["orchestration"] == {"instanceId": f"{job.job_id}:a2", "runtimeStatus": "Pending"}
    assert api.job_call("api_retry_job", "POST", job.job_id, "/retry")[0] == 409  # queued: nothing to retry


def test_openapi_is_served(api: Api) -> None:
    status, doc = api.call("api_openapi", "GET", "v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.") and "/api/v1/jobs/{job_id}/retry" in doc["paths"]
