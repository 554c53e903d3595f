"""Need to know, the access audit trail and speaker renaming through the API (the handlers both hosts use).

The renaming tests build a diarized transcript with the outputs' own test fixture (layout input, not a
model's output) and render it with the real renderers; a real diarized job through the page is in
tests/web/test_names_audit.py.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
from typing import Any

import pytest
from docx import Document

from functions.auth import FORCE_WIDE_ROLE, encode_principal, principal_from_headers
from functions.lifecycle import decide_and_start
from shared.blob_layout import output_ref
from shared.clock import parse_iso
from shared.domain import Job, JobStatus
from shared.job_updates import mutate_job
from shared.outputs.formats import FORMATS, render
from shared.outputs.overlay import load_overlay
from shared.outputs.transcript import dumps_transcript
from tests.fixtures.outputs import make_segments, make_transcript
from tests.functions.helpers import Intake
from tests.functions.test_api import AUDIO, Api

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ME, COLLEAGUE, SERGEANT = "oid-pc-1234", "oid-pc-5678", "oid-ds-42"


@pytest.fixture
def api(app_functions: dict[str, Any], intake: Intake) -> Api:
    return Api(app_functions, intake)


def who(oid: str, force: str = "met", *roles: str, name: str | None = None) -> dict[str, str]:
    """The principal App Service forwards from an Entra token: app roles in the ``roles`` claim."""
    claims: dict[str, str | list[str]] = {OID: oid, "extension_forceId": force, "roles": ["Transcribe.User", *roles]}
    if name:
        claims["name"] = name
    return {"X-MS-CLIENT-PRINCIPAL": encode_principal(claims)}


def _job(intake: Intake, name: str, by: str | None) -> Job:
    outcome = asyncio.run(decide_and_start(intake.client, intake.services, intake.upload(name, AUDIO + name.encode()),
                                           submitted_by=by))
    assert outcome.job is not None
    return outcome.job


def test_the_force_wide_role_comes_from_the_tokens_roles_claim() -> None:
    assert principal_from_headers(who(SERGEANT, "met", FORCE_WIDE_ROLE)).force_wide
    assert not principal_from_headers(who(ME)).force_wide
    assert principal_from_headers(who(ME, name="PC 1234")).display == f"PC 1234 ({ME})"


def test_the_list_is_the_callers_own_jobs_and_the_force_only_with_the_role(api: Api, intake: Intake) -> None:
    mine = {_job(intake, f"met/mine{i}.wav", ME).job_id for i in range(2)}
    theirs = _job(intake, "met/theirs.wav", COLLEAGUE).job_id
    unowned = _job(intake, "met/dropped.wav", None).job_id  # a blob dropped with no submitter
    _job(intake, "kent/k.wav", ME)  # the same object id in another force's record is still another force's
    status, body = api.call("api_list_jobs", "GET", "v1/jobs", headers=who(ME))
    assert status == 200 and body["scope"] == "mine" and {j["job_id"] for j in body["jobs"]} == mine
    assert api.call("api_list_jobs", "GET", "v1/jobs", headers=who(ME), params={"scope": "force"})[0] == 403
    assert api.call("api_list_jobs", "GET", "v1/jobs", headers=who(ME), params={"scope": "all"})[0] == 400
    status, body = api.call("api_list_jobs", "GET", "v1/jobs", headers=who(SERGEANT, "met", FORCE_WIDE_ROLE),
                            params={"scope": "force"})
    assert status == 200 and {j["job_id"] for j in body["jobs"]} == {*mine, theirs, unowned}
    status, body = api.call("api_list_jobs", "GET", "v1/jobs", headers=who(SERGEANT, "met", FORCE_WIDE_ROLE))
    assert body["jobs"] == []  # by default even the sergeant sees their own


def test_a_colleagues_job_is_not_found_without_the_role(api: Api, intake: Intake) -> None:
    theirs = _job(intake, "met/theirs.wav", COLLEAGUE)
    kent = _job(intake, "kent/theirs.wav", COLLEAGUE)
    for name, method, suffix in (("api_get_job", "GET", ""), ("api_get_results", "GET", "/results"),
                                 ("api_get_audit", "GET", "/audit"), ("api_cancel_job", "POST", "/cancel"),
                                 ("api_retry_job", "POST", "/retry")):
        assert api.job_call(name, method, theirs.job_id, suffix, headers=who(ME))[0] == 404, name
        wide = who(SERGEANT, "kent", FORCE_WIDE_ROLE)  # the role opens one's own force, never another
        assert api.job_call(name, method, theirs.job_id, suffix, headers=wide)[0] == 404, name
    assert api.job_call("api_get_job", "GET", theirs.job_id, headers=who(COLLEAGUE))[0] == 200
    assert api.job_call("api_get_job", "GET", theirs.job_id, headers=who(SERGEANT, "met", FORCE_WIDE_ROLE))[0] == 200
    assert api.job_call("api_get_job", "GET", kent.job_id, headers=who(SERGEANT, "kent", FORCE_WIDE_ROLE))[0] == 200
    assert intake.client.terminated == []


def test_cancel_and_retry_are_in_the_access_trail_with_user_and_time(api: Api, intake: Intake) -> None:
    job = _job(intake, "met/c.wav", ME)
    assert api.job_call("api_cancel_job", "POST", job.job_id, "/cancel", headers=who(ME, name="PC 1234"))[0] == 202
    assert intake.run(job.job_id) == "Terminated"
    sergeant = who(SERGEANT, "met", FORCE_WIDE_ROLE, name="DS 42")
    assert api.job_call("api_retry_job", "POST", job.job_id, "/retry", headers=sergeant)[0] == 202
    assert api.job_call("api_retry_job", "POST", job.job_id, "/retry", headers=sergeant)[0] == 409  # not recorded
    status, trail = api.job_call("api_get_audit", "GET", job.job_id, "/audit", headers=who(ME))
    assert status == 200
    entries = trail["entries"]
    assert [(e["action"], e["user"], e["detail"]) for e in entries] == [
        ("cancel", f"PC 1234 ({ME})", "attempt=1"), ("retry", f"DS 42 ({SERGEANT})", "attempt=2")]
    times = [parse_iso(e["at"]) for e in entries]
    assert all(e["at"].endswith("Z") for e in entries) and parse_iso(job.created_at) <= times[0] <= times[1]


def test_the_sqlite_trail_is_append_only(intake: Intake) -> None:
    conn = intake.services.jobs._conn  # type: ignore[attr-defined]
    job = _job(intake, "met/a.wav", ME)
    from functions.access import record_access

    record_access(intake.services, job, ME, "view")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE access_log SET doc='{}'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM access_log")
    assert [e.action for e in intake.services.jobs.list_access("met", job.job_id)] == ["view"]
    with pytest.raises(ValueError):
        record_access(intake.services, job, ME, "erase")
    with pytest.raises(ValueError):
        record_access(intake.services, job, ME, "view", "Hello, how are you?\n")  # content has no place there


def _finished(intake: Intake, by: str) -> tuple[Job, dict[str, Any]]:
    """A succeeded job whose outputs are a diarized transcript and its real renderings (as render_outputs writes)."""
    job = _job(intake, "met/interview.wav", by)
    block = {"model": {"name": "speaker-resemblyzer", "sha256": "ef" * 32}, "requested": "auto",
             "speakers": [{"id": "S1", "speaking_time": 3.2, "first_appearance": 0.0},
                          {"id": "S2", "speaking_time": 4.1, "first_appearance": 2.48}]}
    t = make_transcript(None, make_segments(), speakers=["S1", "S2", "S1", "S2", "S1", "S2"], diarization=block)
    outputs = {}
    for fmt in FORMATS:
        ref = output_ref("met", job.job_id, 1, "transcript.json" if fmt == "json" else f"interview.{fmt}")
        intake.services.blobs.upload(ref, dumps_transcript(t) if fmt == "json" else render(t, fmt))
        outputs[fmt] = ref
    done = mutate_job(intake.services.jobs, "met", job.job_id,
                      lambda j: j.with_changes(status=JobStatus.SUCCEEDED, outputs=outputs))
    return done, t


def test_renaming_writes_a_new_overlay_version_and_renders_again_not_transcribing(api: Api, intake: Intake) -> None:
    job, t = _finished(intake, ME)
    machine_json = intake.services.blobs.download(job.outputs["json"])
    me = who(ME, name="PC 1234")
    status, body = api.job_call("api_rename_speakers", "PUT", job.job_id, "/speakers", headers=me,
                                body={"names": {"S1": "DC Hale", "S2": "Suspect"}})
    assert status == 200, body
    assert body["speakers"]["names"] == {"S1": "DC Hale", "S2": "Suspect"} and body["speakers"]["version"] == 1
    assert body["speakers"]["history"][0]["by"] == f"PC 1234 ({ME})"
    renamed = intake.services.jobs.get("met", job.job_id)
    assert renamed is not None and renamed.outputs["json"] == job.outputs["json"]  # the machine's transcript
    assert intake.services.blobs.download(renamed.outputs["json"]) == machine_json
    assert [s[1] for s in intake.client.starts] == [job.job_id]  # nothing was run again
    txt = intake.services.blobs.download(renamed.outputs["txt"]).decode()
    assert "] DC Hale: " in txt and "] Suspect: " in txt and "] S1: " not in txt
    assert "<v DC Hale>" in intake.services.blobs.download(renamed.outputs["vtt"]).decode()
    table = Document(io.BytesIO(intake.services.blobs.download(renamed.outputs["docx"]))).tables[-1]
    assert {r.cells[1].text for r in table.rows[1:]} == {"DC Hale", "Suspect"}
    overlay_ref = renamed.summary["names_overlay"]["ref"]
    overlay = load_overlay(intake.services.blobs.download(overlay_ref), machine_json, t)  # tied to its SHA-256
    assert overlay["version"] == 1 and overlay["history"][0]["by"] == f"PC 1234 ({ME})"
    assert intake.services.blobs.download(job.outputs["txt"]).decode().count("] S1: ") > 0  # v0 kept as it was

    # a second change is version 2; removing a name brings the label back; the same names again write nothing
    status, body = api.job_call("api_rename_speakers", "PUT", job.job_id, "/speakers", headers=me,
                                body={"names": {"S2": None}})
    assert body["speakers"]["names"] == {"S1": "DC Hale"} and body["speakers"]["version"] == 2
    assert api.job_call("api_rename_speakers", "PUT", job.job_id, "/speakers", headers=me,
                        body={"names": {"S1": "DC Hale"}})[1]["speakers"]["version"] == 2
    txt = intake.services.blobs.download(intake.services.jobs.get("met", job.job_id).outputs["txt"]).decode()  # type: ignore[union-attr]
    assert "] S2: " in txt and "] DC Hale: " in txt
    # results carry the names in force, and the page's download route serves the renamed file
    status, results = api.job_call("api_get_results", "GET", job.job_id, "/results", headers=me)
    assert results["speakers"]["names"] == {"S1": "DC Hale"} and results["speakers"]["labels"] == ["S1", "S2"]
    status, _ = api.call("api_download_output", "GET", f"v1/jobs/{job.job_id}/outputs/txt", headers=me,
                         route_params={"job_id": job.job_id, "fmt": "txt"})
    assert status == 302
    assert api.call("api_download_output", "GET", f"v1/jobs/{job.job_id}/outputs/pdf", headers=me,
                    route_params={"job_id": job.job_id, "fmt": "pdf"})[0] == 404
    trail = api.job_call("api_get_audit", "GET", job.job_id, "/audit", headers=me)[1]["entries"]
    assert [(e["action"], e["detail"]) for e in trail] == [
        ("rename", "overlay=v1"), ("rename", "overlay=v2"), ("view", "attempt=1"), ("download", "format=txt")]
    assert "DC Hale" not in str(trail)  # the trail says that names changed; the overlay says what


@pytest.mark.parametrize(("body", "status"), [
    ({"names": {"S3": "Nobody"}}, 400), ({"names": {"S1": "two\nlines"}}, 400), ({"names": {"S1": "x" * 81}}, 400),
    ({"names": ["S1"]}, 400), ({}, 400), ({"names": {}, "extra": 1}, 400)])
def test_bad_names_are_refused_and_change_nothing(api: Api, intake: Intake, body: Any, status: int) -> None:
    job, _ = _finished(intake, ME)
    got, problem = api.job_call("api_rename_speakers", "PUT", job.job_id, "/speakers", headers=who(ME), body=body)
    assert got == status, problem
    assert intake.services.jobs.get("met", job.job_id).outputs == job.outputs  # type: ignore[union-attr]
    assert intake.services.jobs.list_access("met", job.job_id) == []


def test_renaming_needs_the_job_and_its_speakers(api: Api, intake: Intake) -> None:
    queued = _job(intake, "met/q.wav", ME)
    assert api.job_call("api_rename_speakers", "PUT", queued.job_id, "/speakers", headers=who(ME),
                        body={"names": {"S1": "A"}})[0] == 409
    job, _ = _finished(intake, COLLEAGUE)
    assert api.job_call("api_rename_speakers", "PUT", job.job_id, "/speakers", headers=who(ME),
                        body={"names": {"S1": "A"}})[0] == 404


def test_no_audit_entry_no_content(api: Api, intake: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    job, t = _finished(intake, ME)

    def refuse(entry: Any) -> None:
        raise OSError("the audit store is unreachable")

    monkeypatch.setattr(intake.services.jobs, "add_access", refuse)
    status, body = api.job_call("api_get_results", "GET", job.job_id, "/results", headers=who(ME))
    assert status == 500 and "transcript" not in body and t["segments"][0]["text"].strip() not in str(body)
    assert api.call("api_download_output", "GET", f"v1/jobs/{job.job_id}/outputs/txt", headers=who(ME),
                    route_params={"job_id": job.job_id, "fmt": "txt"})[0] == 500


def test_two_renames_from_the_same_reading_one_wins_the_other_is_a_conflict(intake: Intake) -> None:
    from functions.renaming import rename
    from shared.adapters.base import ConcurrencyError

    job, _ = _finished(intake, ME)
    renamed, overlay, _ = rename(intake.services, job, {"S1": "DC Hale"}, by=ME)
    assert overlay["version"] == 1
    with pytest.raises(ConcurrencyError):
        rename(intake.services, job, {"S1": "DS Lee"}, by=COLLEAGUE)  # read before the first was saved
    current = intake.services.jobs.get("met", job.job_id)
    assert current is not None and current.outputs == renamed.outputs
    _, again, _ = rename(intake.services, current, {"S1": "DS Lee"}, by=COLLEAGUE)  # read afresh: version 2
    assert again["version"] == 2 and again["speaker_names"] == {"S1": "DS Lee"}
