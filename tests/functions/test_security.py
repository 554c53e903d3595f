"""Issue 10's findings as regression tests: path tricks, foreign hosts, bad bodies, pinned sources,
stale attempts and lost starts. Each asserts what a hostile caller or an unlucky operator would see."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport

from functions.contracts import JobStep
from functions.guards import StaleAttempt, work_ref
from functions.intake import resolve_source
from functions.lifecycle import cancel_job, decide_and_start, retry_job
from functions.registry import ACTIVITIES
from functions.sweep import sweep_stuck_jobs
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.blob_urls import UnsafeBlobUrl
from shared.domain import JobStatus
from tests.functions.helpers import ACCOUNT_URL, Intake
from tests.functions.test_api import AUDIO, Api

# the registered activities, as the runner calls them (on the wire's JSON)
notify_completed, fail_job = ACTIVITIES["notify_completed"], ACTIVITIES["fail_job"]

PATH_TRICKS = (
    "incoming/met/../kent/op-x/interview.wav",
    "incoming/met/%2e%2e/kent/op-x/interview.wav",
    "incoming/met/%2E%2E/kent/op-x/interview.wav",
    "incoming/met%2F..%2Fkent/op-x/interview.wav",
    "incoming/met/..%2Fkent/op-x/interview.wav",
    "incoming/met/..%5Ckent/op-x/interview.wav",
    "incoming/met/op-x\\..\\..\\kent/interview.wav",
    "incoming/met//kent/op-x/interview.wav",
    "incoming/met/./op-x/interview.wav",
    "incoming/met/../../chunks/job-x/00000.flac",
    "incoming/met/op-x/interview.wav?sv=2024&sig=abc",
    "incoming/met/op-x/interview.wav#frag",
)


class _Spy:
    """Wraps the blob store and records every reference the API asked storage about."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.touched = inner, []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*a: Any, **k: Any) -> Any:
            self.touched.append((name, a[0] if a else None))
            return attr(*a, **k)

        return call


@pytest.fixture
def api(app_functions: dict[str, Any], intake: Intake) -> Api:
    return Api(app_functions, intake)


def test_path_tricks_are_refused_before_storage_is_touched(api: Api, intake: Intake) -> None:
    intake.upload("kent/op-x/interview.wav", AUDIO)
    spy = _Spy(intake.services.blobs)
    intake.services.blobs = spy  # type: ignore[assignment]
    for path in PATH_TRICKS:
        status, body = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": f"{ACCOUNT_URL}/{path}"})
        assert status == 400, (path, status, body)
        assert "kent" not in body["detail"]
    assert spy.touched == []
    assert intake.services.jobs.list_jobs("met") == [] and intake.client.starts == []
    with pytest.raises(UnsafeBlobUrl):
        resolve_source(f"{ACCOUNT_URL}/incoming/met/../kent/a.wav", intake.services.settings, {})


def test_a_trigger_delivering_a_path_trick_records_a_rejected_job_and_reads_nothing(intake: Intake) -> None:
    notice = replace(intake.upload("met/a.wav", AUDIO), url=f"{ACCOUNT_URL}/incoming/met/%2e%2e/kent/a.wav")
    outcome = asyncio.run(decide_and_start(intake.client, intake.services, notice))
    assert outcome.action == "rejected" and outcome.job is not None
    assert outcome.job.error is not None and outcome.job.error.code == "intake.bad_path"
    assert outcome.job.force_id == "unassigned" and intake.client.starts == []


FOREIGN = (
    "https://metstore.attacker.example/c/x.wav",
    "https://metstore.blob.core.windows.net.attacker.example/c/x.wav",
    "https://metstore.blob.core.windows.net:8443/c/x.wav",
    "https://user:pw@metstore.blob.core.windows.net/c/x.wav",
    "https://attacker.example@metstore.blob.core.windows.net/c/x.wav",
    "http://metstore.blob.core.windows.net/c/x.wav",
    "https://metstore.file.core.windows.net/c/x.wav",
    "ftp://metstore.blob.core.windows.net/c/x.wav",
)


def test_foreign_hosts_are_never_read(intake_factory: Any, app_functions: dict[str, Any]) -> None:
    intake = intake_factory(forces=("met", "kent"), force_sources="metstore=met")
    api = Api(app_functions, intake)
    spy = _Spy(intake.services.blobs)
    intake.services.blobs = spy  # type: ignore[assignment]
    for url in FOREIGN:
        status, _ = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url})
        assert status in (400, 404), (url, status)
    assert spy.touched == [] and intake.client.starts == []
    ok = resolve_source("https://METSTORE.blob.core.windows.net/c/x.wav", intake.services.settings,
                        {"metstore": "met"})
    assert (ok.force_id, ok.ref) == ("met", "https://metstore.blob.core.windows.net/c/x.wav")


class _Recording(HttpTransport):
    """An HTTP transport that records requests and answers nothing (no network)."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    def __enter__(self) -> _Recording:
        return self

    def __exit__(self, *a: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append(request)
        raise ConnectionError("recorded, not sent")


class _Credential:
    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("secret-token", 2**31)


def test_the_storage_token_is_only_sent_to_known_storage_accounts() -> None:
    transport, cred = _Recording(), _Credential()
    store = AzureBlobStore("https://evidence.blob.core.windows.net", cred, transport=transport,
                           external_accounts=frozenset({"metstore"}))
    for url in (*FOREIGN[:5], "https://otherstore.blob.core.windows.net/c/x.wav"):
        with pytest.raises(UnsafeBlobUrl):
            store.properties(url)
    assert transport.requests == [] and cred.scopes == []
    with pytest.raises(Exception):  # noqa: B017  (the recording transport answers nothing)
        store.properties("https://metstore.blob.core.windows.net/c/x.wav")
    assert [r.url.split("?")[0] for r in transport.requests][:1] == ["https://metstore.blob.core.windows.net/c/x.wav"]


@pytest.mark.parametrize("body, field", [
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "options": {"language": ["en"]}}, "options.language"),
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "options": ["en"]}, "options"),
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "options": {"formats": "json"}}, "options.formats"),
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "options": {"formats": [1]}}, "options.formats[0]"),
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "options": {"word_timestamps": "yes"}},
     "options.word_timestamps"),
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "options": {"initial_prompt": 5}}, "options.initial_prompt"),
    ({"blobUrl": 17}, "blobUrl"),
    ({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav", "extra": 1}, "extra"),
    ([f"{ACCOUNT_URL}/incoming/met/a.wav"], "(body)"),
    ({}, "blobUrl"),
])
def test_bad_bodies_are_400_naming_the_field(api: Api, intake: Intake, body: Any, field: str) -> None:
    intake.upload("met/a.wav", AUDIO)
    status, problem = api.call("api_submit_job", "POST", "v1/jobs", body=body)
    assert status == 400 and problem["field"] == field, problem
    assert intake.services.jobs.list_jobs("met") == []


def test_unreadable_and_oversize_bodies(api: Api) -> None:
    import azure.functions as func

    from tests.functions.helpers import principal_header, user_code

    for raw, expected in ((b"{not json", 400), (b"[" * 100_000, 413), (b"[" * 5000 + b"]" * 5000, 400),
                          (b'{"blobUrl": "' + b"a" * 20_000 + b'"}', 413)):
        req = func.HttpRequest("POST", "https://app.example/api/v1/jobs", headers=principal_header("met"),
                               body=raw)
        resp = asyncio.run(user_code(api.functions["api_submit_job"])(req=req, client=api.intake.client))
        assert resp.status_code == expected, raw[:20]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_source_replaced_after_intake_fails_as_changed(intake: Intake, make_media: Any, tmp_path: Path) -> None:
    first = make_media(tmp_path, "wav", seconds=2, content="tone")
    other = make_media(tmp_path, "flac", seconds=3, content="tone")
    notice = intake.upload("met/case/a.wav", first.read_bytes())
    job = asyncio.run(decide_and_start(intake.client, intake.services, notice)).job
    assert job is not None and job.source.sha256 == _sha(first)
    intake.upload("met/case/a.wav", other.read_bytes())  # same name, other bytes
    intake.run(job.job_id)
    final = intake.services.jobs.get("met", job.job_id)
    assert final is not None and final.status is JobStatus.FAILED
    assert final.error is not None and final.error.code == "source.changed", final.error
    assert final.source.sha256 == _sha(first)  # the record keeps the version the job was made for


def test_the_uploaders_sha256_is_a_claim_checked_in_any_case(intake: Intake, make_media: Any,
                                                            tmp_path: Path) -> None:
    media = make_media(tmp_path, "wav", seconds=2, content="tone")
    notice = intake.upload("met/b.wav", media.read_bytes())
    upper = replace(notice, sha256=_sha(media).upper())
    wrong = replace(notice, url=notice.url.replace("b.wav", "b2.wav"), sha256="0" * 64)
    intake.upload("met/b2.wav", media.read_bytes())
    ok = asyncio.run(decide_and_start(intake.client, intake.services, upper)).job
    bad = asyncio.run(decide_and_start(intake.client, intake.services, wrong)).job
    assert ok is not None and bad is not None
    for job in (ok, bad):
        intake.run(job.job_id)
    got_ok, got_bad = (intake.services.jobs.get("met", j.job_id) for j in (ok, bad))
    assert got_ok is not None and (got_ok.error is None or got_ok.error.code != "source.changed")
    assert got_ok.source.sha256 == _sha(media)
    assert got_bad is not None and got_bad.error is not None and got_bad.error.code == "source.changed"


def test_a_cancelled_job_is_never_marked_succeeded_by_its_old_activities(intake: Intake) -> None:
    job = asyncio.run(decide_and_start(intake.client, intake.services, intake.upload("met/c.wav", AUDIO))).job
    assert job is not None
    p = job.orchestration_input()
    asyncio.run(cancel_job(intake.client, intake.services, job))
    notify_completed(p)  # an activity scheduled before the termination still runs
    fail_job({**p, "error": {"code": "internal", "message": "x"}})
    after = intake.services.jobs.get("met", job.job_id)
    assert after is not None and after.status is JobStatus.CANCELLED and after.error is None
    assert not [e for e in intake.services.events.read_all() if e["type"].endswith((".completed", ".failed"))]
    with pytest.raises(StaleAttempt):
        ACTIVITIES["probe_media"](p)

    retried = asyncio.run(retry_job(intake.client, intake.services, after))
    assert intake.client.starts[-1][2] == {"job_id": job.job_id, "force_id": "met", "attempt": 2}
    for name in ("start_job", "probe_media", "plan_chunks"):  # attempt 1 is stale now
        with pytest.raises(StaleAttempt):
            ACTIVITIES[name](p)
    notify_completed(p)
    fail_job({**p, "error": {"code": "internal", "message": "x"}})
    now = intake.services.jobs.get("met", job.job_id)
    assert now is not None and now.status is JobStatus.QUEUED and now.attempt == retried.attempt == 2
    assert work_ref(JobStep.from_dict(p), "plan.json") == f"work/{job.job_id}/a1/plan.json"
    assert work_ref(JobStep.from_dict(retried.orchestration_input()), "plan.json") == f"work/{job.job_id}/a2/plan.json"


def test_the_sweep_restarts_or_fails_jobs_stuck_in_queued(intake: Intake) -> None:
    class Down(type(intake.client)):  # type: ignore[misc]
        async def start_new(self, *a: Any, **k: Any) -> str:
            raise ConnectionError("task hub unavailable")

    down = Down(intake.runner)
    for name in ("met/s1.wav", "met/s2.wav", "kent/s3.wav"):
        with pytest.raises(ConnectionError):
            asyncio.run(decide_and_start(down, intake.services, intake.upload(name, AUDIO + name.encode())))
    jobs = [j for f in ("met", "kent") for j in intake.services.jobs.list_jobs(f)]
    assert len(jobs) == 3 and all(j.status is JobStatus.QUEUED for j in jobs)
    fresh = asyncio.run(sweep_stuck_jobs(intake.client, intake.services))
    assert fresh.restarted == fresh.failed == []  # too young: a delivery may be starting them now
    old, ancient = "2020-01-01T00:00:00Z", "2000-01-01T00:00:00Z"
    from datetime import UTC, datetime

    now = datetime(2020, 1, 1, 1, 0, tzinfo=UTC)
    intake.services.jobs.update(replace(jobs[0], updated_at=old))
    intake.services.jobs.update(replace(jobs[2], updated_at=old))
    intake.services.jobs.update(replace(jobs[1], updated_at=ancient))
    report = asyncio.run(sweep_stuck_jobs(intake.client, intake.services, now=now))
    assert sorted(report.restarted) == sorted([jobs[0].job_id, jobs[2].job_id])
    assert report.failed == [jobs[1].job_id]
    failed = intake.services.jobs.get("met", jobs[1].job_id)
    assert failed is not None and failed.error is not None and failed.error.code == "intake.not_started"
    assert {s[1] for s in intake.client.starts} == {jobs[0].job_id, jobs[2].job_id}


def test_a_local_run_killed_between_record_and_start_is_picked_up_again(tmp_path: Path) -> None:
    from functions.local.app import LocalApp
    from shared.domain import Job, job_id_for
    from shared.hashing import sha256_file
    from tests.functions.helpers import make_settings

    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.wav").write_bytes(AUDIO)
    app = LocalApp(make_settings(tmp_path / "data"), retry_interval_scale=0.001)
    path = drop / "a.wav"
    job_id = job_id_for(path.resolve().as_uri(), sha256_file(path))
    # what a run killed right after jobs.create leaves behind: a record, no orchestration
    app.jobs.create(Job(job_id=job_id, force_id="local", source=app._source_ref(path)))
    job, new = app.submit_once(path, {})
    assert not new and app.hub.load(job.instance_id) is not None
    final = app.run(job)  # no KeyError: the orchestration exists now and runs to an end
    assert final.status is JobStatus.FAILED and final.error is not None and final.error.code == "media.truncated"
    # toex resume also starts a recorded job that has no orchestration
    other = Job(job_id="job-" + "0" * 32, force_id="local", source=app._source_ref(path))
    app.jobs.create(other)
    assert other.job_id in {j.job_id for j in app.unfinished()}


def test_an_event_grid_outage_after_success_leaves_the_job_succeeded(intake: Intake) -> None:
    job = asyncio.run(decide_and_start(intake.client, intake.services, intake.upload("met/e.wav", AUDIO))).job
    assert job is not None
    p = job.orchestration_input()
    intake.services.jobs.update(job.with_changes(status=JobStatus.RUNNING, outputs={"json": "outputs/x.json"}))

    class Down:
        def publish(self, event: Any) -> None:
            raise ConnectionError("event grid unavailable")

    events, intake.services.events = intake.services.events, Down()  # type: ignore[assignment]
    for _ in range(3):  # the activity and its retries
        with pytest.raises(ConnectionError):
            notify_completed(p)
    fail_job({**p, "error": {"code": "internal", "message": "event grid unavailable"}})
    after = intake.services.jobs.get("met", job.job_id)
    assert after is not None and after.status is JobStatus.SUCCEEDED and after.error is None
    intake.services.events = events  # type: ignore[assignment]
    notify_completed(p)  # a later retry publishes the completion, without read links
    (done,) = [e for e in events.read_all() if e["type"].endswith(".completed")]
    assert "links" not in done["data"] and done["data"]["outputs"] == {"json": "outputs/x.json"}


def test_the_blob_trigger_pins_the_version_it_saw(intake: Intake) -> None:
    from azure.storage.blob import BlobProperties

    from functions.intake import notice_from_properties

    props = BlobProperties(**{"Content-Length": 12, "ETag": '"0x8DC"', "x-ms-version-id": "2026-12-01T09:00:00Z"})
    props.version_id = "2026-12-01T09:00:00.0000000Z"
    notice = notice_from_properties(f"{ACCOUNT_URL}/incoming/met/v.wav", props)
    assert notice.version_id == "2026-12-01T09:00:00.0000000Z" and notice.etag == "0x8DC"
    job = asyncio.run(decide_and_start(intake.client, intake.services, notice)).job
    assert job is not None and (job.source.version_id, job.source.etag) == (notice.version_id, "0x8DC")
