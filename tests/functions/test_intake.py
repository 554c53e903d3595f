"""Intake: duplicate deliveries, re-uploads, rejections and the Event Grid trigger, over the local runner."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from functions.azure.triggers import start_from_event
from functions.intake import UNASSIGNED_FORCE, force_sources, resolve_source
from functions.lifecycle import decide_and_start
from functions.orchestrator import NAME
from shared.domain import JobStatus
from tests.functions.helpers import ACCOUNT_URL, Intake, user_code

AUDIO = b"RIFF" + bytes(range(256)) * 40  # content only; these tests never decode it


def _gather(*aws: Any) -> list[Any]:
    async def run() -> list[Any]:
        return list(await asyncio.gather(*aws))

    return asyncio.run(run())


def test_100_duplicate_deliveries_make_one_job_and_one_orchestration(intake: Intake) -> None:
    notice = intake.upload("met/case-17/interview.wav", AUDIO)
    outcomes = _gather(*(decide_and_start(intake.client, intake.services, notice) for _ in range(100)))

    assert sorted(o.action for o in outcomes) == ["duplicate"] * 99 + ["started"]
    jobs = intake.services.jobs.list_jobs("met", limit=200)
    assert len(jobs) == 1 and jobs[0].status is JobStatus.QUEUED
    assert len(intake.client.starts) == 1
    name, instance_id, payload = intake.client.starts[0]
    expected = {"job_id": jobs[0].job_id, "force_id": "met", "attempt": 1}
    assert (name, instance_id, payload) == (NAME, jobs[0].job_id, expected)
    # later deliveries (the orchestration exists now) start nothing either
    later = _gather(*(decide_and_start(intake.client, intake.services, notice) for _ in range(5)))
    assert {o.action for o in later} == {"duplicate"} and len(intake.client.starts) == 1
    assert all(o.job is not None and o.job.job_id == jobs[0].job_id for o in later)


def test_identical_reupload_is_the_same_job_and_changed_content_a_new_one(intake: Intake) -> None:
    first = intake.upload("met/a.wav", AUDIO)
    again = intake.upload("met/a.wav", AUDIO)  # new ETag, same content
    assert first.etag != again.etag
    changed = intake.upload("met/a.wav", AUDIO + b"\0")
    actions = [asyncio.run(decide_and_start(intake.client, intake.services, n)).action
               for n in (first, again, changed)]
    assert actions == ["started", "duplicate", "started"]
    assert len(intake.services.jobs.list_jobs("met")) == 2


def test_etag_is_the_identity_when_no_checksum_is_known(intake: Intake) -> None:
    notice = replace(intake.upload("met/b.wav", AUDIO), sha256=None, content_md5=None)
    assert notice.content_tag == f"etag:{notice.etag.strip(chr(34))}"  # type: ignore[union-attr]
    actions = [asyncio.run(decide_and_start(intake.client, intake.services, n)).action
               for n in (notice, notice, replace(notice, etag="0x8DCAFE"))]
    assert actions == ["started", "duplicate", "started"]


def test_rejected_uploads_get_a_failed_job_with_the_reason(intake_factory: Any) -> None:
    intake = intake_factory(forces=("met",), max_upload_bytes=len(AUDIO))
    cases = {
        "met/notes.exe": ("intake.unsupported_type", AUDIO),
        "met/empty.wav": ("intake.empty", b""),
        "met/big.wav": ("intake.too_large", AUDIO + b"x"),
        "durham/x.wav": ("intake.unknown_force", AUDIO),
        "loose.wav": ("intake.unknown_force", AUDIO),
    }
    for name, (code, data) in cases.items():
        outcome = asyncio.run(decide_and_start(intake.client, intake.services, intake.upload(name, data)))
        assert outcome.action == "rejected", name
        assert outcome.job is not None and outcome.job.status is JobStatus.FAILED
        assert outcome.job.error is not None and outcome.job.error.code == code, name
    assert intake.client.starts == []
    met = {j.source.name: j for j in intake.services.jobs.list_jobs("met")}
    assert set(met) == {"notes.exe", "empty.wav", "big.wav"}
    assert "limit" in met["big.wav"].error.message  # type: ignore[union-attr]
    # a file outside any force folder, or of an unknown force, is kept under "unassigned"
    assert {j.source.name for j in intake.services.jobs.list_jobs(UNASSIGNED_FORCE)} == {"x.wav", "loose.wav"}
    notes = intake.services.jobs.list_notifications("met")
    assert {n.kind for n in notes} == {"failed"} and len(notes) == 3
    failed = [e for e in intake.services.events.read_all() if e["type"].endswith(".failed")]  # type: ignore[attr-defined]
    assert len(failed) == 5


def test_folder_markers_are_ignored(intake: Intake) -> None:
    marker = intake.upload("met/case-18", b"", metadata={"hdi_isfolder": "true"})
    outcome = asyncio.run(decide_and_start(intake.client, intake.services, marker))
    assert outcome.action == "ignored" and intake.services.jobs.list_jobs("met") == []


def test_a_job_queued_without_an_orchestration_is_started_by_a_later_delivery(intake: Intake) -> None:
    notice = intake.upload("met/c.wav", AUDIO)

    class Down(type(intake.client)):  # type: ignore[misc]
        async def start_new(self, *a: Any, **k: Any) -> str:
            raise ConnectionError("task hub unavailable")

    down = Down(intake.runner)
    try:
        asyncio.run(decide_and_start(down, intake.services, notice))
    except ConnectionError:
        pass
    else:
        raise AssertionError("the failed start must fail the delivery so Event Grid redelivers it")
    (job,) = intake.services.jobs.list_jobs("met")
    # the very next delivery starts it (a "duplicate" answer here would end Event Grid's retries) ...
    assert asyncio.run(decide_and_start(intake.client, intake.services, notice)).action == "restarted"
    # ... and later ones find the orchestration
    for _ in range(4):
        assert asyncio.run(decide_and_start(intake.client, intake.services, notice)).action == "duplicate"
    assert [s[1] for s in intake.client.starts] == [job.job_id]
    assert intake.run(job.job_id) in ("Completed", "Failed")


def test_resolve_source_maps_urls_to_refs_and_forces(intake: Intake) -> None:
    settings = intake.services.settings
    own = resolve_source(f"{ACCOUNT_URL}/incoming/met/Case%2017/interview%201.mp4", settings, {})
    assert (own.ref, own.name, own.force_id, own.own_account) == (
        "incoming/met/Case 17/interview 1.mp4", "interview 1.mp4", "met", True)
    assert resolve_source(f"{ACCOUNT_URL}/outputs/met/x/transcript.json", settings, {}).force_id is None
    ext = resolve_source("https://kentevidence.blob.core.windows.net/bwv/2026/a.mp4", settings,
                         force_sources("kentevidence=kent, other = x"))
    assert (ext.ref, ext.force_id, ext.own_account) == (
        "https://kentevidence.blob.core.windows.net/bwv/2026/a.mp4", "kent", False)


def _event(event_type: str, data: dict[str, Any], account: str = "kentevidence") -> func.EventGridEvent:
    return func.EventGridEvent(
        id="e-1", data=data, event_type=event_type, event_time=datetime.now(UTC), data_version="1",
        topic=f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{account}",
        subject="/blobServices/default/containers/bwv/blobs/2026/a.mp4")


def test_event_grid_trigger_starts_force_storage_uploads_once(intake: Intake, app_functions: dict[str, Any],
                                                              monkeypatch: Any) -> None:
    monkeypatch.setenv("TOEX_FORCE_SOURCES", "kentevidence=kent")
    trigger = user_code(app_functions["force_blob_created"])
    url = "https://kentevidence.blob.core.windows.net/bwv/2026/a.mp4"
    created = _event("Microsoft.Storage.BlobCreated", {
        "api": "PutBlockList", "url": url, "eTag": "0x8DC1", "contentLength": 1234, "contentType": "video/mp4"})
    for _ in range(3):
        asyncio.run(trigger(event=created, client=intake.client))
    (job,) = intake.services.jobs.list_jobs("kent")
    assert job.source.ref == url and job.source.size_bytes == 1234 and job.status is JobStatus.QUEUED
    assert [s[1] for s in intake.client.starts] == [job.job_id]

    ignored = [
        _event("Microsoft.Storage.BlobDeleted", {"api": "DeleteBlob", "url": url}),
        _event("Microsoft.Storage.BlobCreated", {"api": "CreateFile", "url": url + "2", "contentLength": 0}),
    ]
    for event in ignored:
        assert asyncio.run(start_from_event(event, intake.client)).action == "ignored"
    unmapped = _event("Microsoft.Storage.BlobCreated", {
        "api": "PutBlob", "url": "https://unknownacct.blob.core.windows.net/c/a.wav", "eTag": "1", "contentLength": 9})
    assert asyncio.run(start_from_event(unmapped, intake.client)).action == "rejected"
    assert len(intake.client.starts) == 1


def test_options_come_from_blob_metadata(intake: Intake) -> None:
    from functions.intake import options_from_metadata

    assert options_from_metadata({"translate_to": "en", "formats": "json,srt", "other": "x"}) == (
        {"translate_to": "en", "formats": ["json", "srt"]}, None)
    options, bad = options_from_metadata({"translate_to": "klingon"})
    assert options == {} and bad is not None and "translate_to" in bad
    notice = intake.upload("met/d.wav", AUDIO, metadata={"translate_to": "klingon"})
    outcome = asyncio.run(decide_and_start(intake.client, intake.services, notice, bad_options=bad))
    assert outcome.action == "rejected" and outcome.job.error.code == "intake.bad_options"  # type: ignore[union-attr]
    assert json.loads(json.dumps(outcome.job.to_dict()))["error"]["message"].startswith("invalid")  # type: ignore[union-attr]
