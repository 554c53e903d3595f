"""Browser uploads by SAS (functions/upload_sas.py) against Azurite with Entra tokens (``--oauth basic``):
the user-delegation SAS the API issues writes exactly its one blob, cannot read, list, delete or write any
other name, and expires; the blob trigger's start_from_blob takes the submitter from the slot record, never
from the metadata a browser set."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import pytest
import requests
from azure.core.exceptions import ResourceExistsError

from functions import api, upload_sas
from functions.auth import Principal
from functions.lifecycle import start_from_blob
from functions.local.client import RunnerClient
from functions.local.runner import LocalOrchestrationRunner
from functions.local.taskhub import TaskHub
from functions.registry import ACTIVITIES, ORCHESTRATORS
from shared.services import Services, build_local, set_services
from tests.fixtures.services import Azurite
from tests.functions.helpers import http_request, make_settings, principal_header

pytestmark = pytest.mark.services

MET_OID = "00000000-0000-0000-0000-00000000a001"
OTHER_OID = "00000000-0000-0000-0000-00000000a002"


@pytest.fixture
def services(azurite: Azurite, tmp_path: Path) -> Iterator[Services]:
    svc = azurite.service_client()
    for name in ("incoming", "work"):
        with contextlib.suppress(ResourceExistsError):
            svc.create_container(name)
    local = build_local(make_settings(tmp_path / "data", forces=("met", "kent")))
    services = replace(local, blobs=azurite.blob_store(),
                       settings=replace(local.settings, blob_account_url=azurite.account_url))
    set_services(services)
    yield services
    set_services(None)


def _call(handler: Any, services: Services, method: str, route: str, *, oid: str = MET_OID, force: str = "met",
          body: Any = None, upload_id: str | None = None) -> tuple[int, dict[str, Any]]:
    req = http_request(method, route, headers=principal_header(force, oid=oid), body=body,
                       route_params={"upload_id": upload_id} if upload_id else None)
    resp = asyncio.run(api.guarded(handler, req, None, services))  # type: ignore[arg-type]
    return resp.status_code, json.loads(resp.get_body() or b"{}")


def _with_query(url: str, query: str) -> str:
    return f"{url}&{query}"


def _put_block(url: str, block_id: str, data: bytes, verify: str) -> requests.Response:
    return requests.put(_with_query(url, f"comp=block&blockid={quote(block_id)}"), data=data, verify=verify,
                        timeout=30)


def _commit(url: str, ids: list[str], metadata: dict[str, str], verify: str,
            headers: dict[str, str] | None = None) -> requests.Response:
    body = "<?xml version='1.0' encoding='utf-8'?><BlockList>" + "".join(
        f"<Latest>{i}</Latest>" for i in ids) + "</BlockList>"
    meta = {f"x-ms-meta-{k}": v for k, v in metadata.items()}
    return requests.put(_with_query(url, "comp=blocklist"), data=body.encode(), verify=verify, timeout=30,
                        headers={"Content-Type": "application/xml", **meta, **(headers or {})})


def test_the_sas_writes_exactly_its_blob_and_the_trigger_takes_the_submitter_from_the_slot(
        services: Services, azurite: Azurite, tmp_path: Path) -> None:
    verify = str(azurite.cert_path)
    data = random.Random(14).randbytes(2 * upload_sas.BLOCK_SIZE + 12345)  # three blocks, the last short
    status, slot = _call(upload_sas.create_upload, services, "POST", "v1/uploads",
                         body={"name": "interview 1.wav", "size": len(data)})
    assert status == 201, slot
    assert slot["blockSize"] == upload_sas.BLOCK_SIZE and slot["protocol"] == "azure-blob"
    blob_ref = slot["blobName"]
    force, web, _day, slot_id, name = blob_ref.split("/")[1:]
    assert (blob_ref.split("/")[0], force, web, slot_id, name) == ("incoming", "met", "web", slot["uploadId"],
                                                                   "interview 1.wav")
    url = slot["uploadUrl"]
    query = parse_qs(urlsplit(url).query)
    assert query["sp"] == ["cw"] and query["sr"] == ["b"] and query["spr"] == ["https"]
    assert query["skoid"] == [azurite.token_credential().object_id]  # a user-delegation key, no account key
    assert "sig" in query

    # blocks go up (in any order); the SAS cannot read the block list back, the API can
    size = upload_sas.BLOCK_SIZE
    ids = [base64.b64encode(f"block-{i:06d}".encode()).decode() for i in range(3)]
    for i in (2, 0):
        assert _put_block(url, ids[i], data[i * size:(i + 1) * size], verify).status_code == 201
    assert requests.get(_with_query(url, "comp=blocklist&blocklisttype=uncommitted"), verify=verify,
                        timeout=10).status_code == 403
    status, listed = _call(upload_sas.get_upload, services, "GET", "v1/uploads/x", upload_id=slot["uploadId"])
    assert status == 200 and not listed["committed"]
    assert sorted((b["name"], b["size"]) for b in listed["uncommittedBlocks"]) == sorted(
        [(ids[0], size), (ids[2], len(data) - 2 * size)])
    # another officer (same force or another) is told the slot does not exist
    assert _call(upload_sas.get_upload, services, "GET", "v1/uploads/x", oid=OTHER_OID,
                 upload_id=slot["uploadId"])[0] == 404
    assert _call(upload_sas.renew_upload, services, "POST", "v1/uploads/x/renew", force="kent",
                 upload_id=slot["uploadId"])[0] == 404
    assert _put_block(url, ids[1], data[size:2 * size], verify).status_code == 201

    # the browser claims to be someone else in the metadata: the commit is accepted, the claim is not
    sha = hashlib.sha256(data).hexdigest()
    done = _commit(url, ids, {"sha256": sha, "submitted_by": OTHER_OID, "language": "en"}, verify,
                   {"If-None-Match": "*"})
    assert done.status_code == 201, done.text
    assert services.blobs.download(blob_ref) == data

    # the same SAS cannot read, list, delete, overwrite the committed blob, or write any other name
    assert requests.get(url, verify=verify, timeout=10).status_code == 403
    assert requests.head(url, verify=verify, timeout=10).status_code == 403
    assert requests.delete(url, verify=verify, timeout=10).status_code == 403
    parts = urlsplit(url)
    container_url = urlunsplit(parts._replace(path=parts.path.rsplit("/", 5)[0]))
    assert requests.get(_with_query(container_url, "restype=container&comp=list"), verify=verify,
                        timeout=10).status_code == 403
    other = urlunsplit(parts._replace(path=parts.path.replace(quote(name), "other.wav")))
    assert requests.put(other, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, verify=verify,
                        timeout=10).status_code == 403
    kent = urlunsplit(parts._replace(path=parts.path.replace("/incoming/met/", "/incoming/kent/")))
    assert requests.put(kent, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, verify=verify,
                        timeout=10).status_code == 403
    forged = url.replace("sp=cw", "sp=rcwdl")
    assert requests.get(forged, verify=verify, timeout=10).status_code == 403
    again = _commit(url, ids, {"sha256": sha}, verify, {"If-None-Match": "*"})
    assert again.status_code == 409  # the page commits create-only; Azure's WORM keeps the version anyway
    status, listed = _call(upload_sas.get_upload, services, "GET", "v1/uploads/x", upload_id=slot["uploadId"])
    assert listed["committed"] is True and listed["uncommittedBlocks"] == []
    assert _call(upload_sas.renew_upload, services, "POST", "v1/uploads/x/renew",
                 upload_id=slot["uploadId"])[0] == 409

    # the blob trigger's own code, over the SDK's BlobClient as the binding gives it
    runner = LocalOrchestrationRunner(TaskHub(tmp_path / "taskhub.db"), ORCHESTRATORS, ACTIVITIES, max_workers=1)
    client = RunnerClient(runner)
    blob = azurite.service_client(azurite.token_credential()).get_blob_client("incoming", blob_ref.split("/", 1)[1])
    outcome = asyncio.run(start_from_blob(blob, client))
    assert outcome.action == "started", outcome
    assert outcome.job is not None and outcome.job.force_id == "met"
    assert outcome.job.submitted_by == MET_OID  # the slot's owner, not the metadata's claim
    assert outcome.job.source.sha256 == sha and outcome.job.options.get("language") == "en"
    assert len(client.starts) == 1


def test_a_web_upload_without_its_slot_record_has_no_submitter(services: Services, azurite: Azurite,
                                                               tmp_path: Path) -> None:
    """A blob in incoming/<force>/web/ written by anything but a slot (e.g. a force system with its role)."""
    name = f"met/web/2026-12-01/{uuid.uuid4().hex}/call.wav"
    services.blobs.upload(f"incoming/{name}", b"RIFF" + bytes(100), metadata={"submitted_by": OTHER_OID})
    runner = LocalOrchestrationRunner(TaskHub(tmp_path / "taskhub.db"), ORCHESTRATORS, ACTIVITIES, max_workers=1)
    blob = azurite.service_client(azurite.token_credential()).get_blob_client("incoming", name)
    outcome = asyncio.run(start_from_blob(blob, RunnerClient(runner)))
    assert outcome.job is not None and outcome.job.submitted_by is None
    # outside the web folder, a force system's metadata is still the submitter, as before
    assert upload_sas.submitter_for(services, "incoming/met/2026/call.wav", {"submitted_by": "sys"}) == "sys"
    # a record of another blob name (a slot of met, a blob name of kent) does not lend its owner
    record = upload_sas.open_slot(services, Principal(MET_OID, None, "met"), "a.wav", 10)
    moved = record["blobName"].replace("incoming/met/", "incoming/kent/")
    assert upload_sas.submitter_for(services, moved, {}) is None
    assert upload_sas.submitter_for(services, record["blobName"], {"submitted_by": "x"}) == MET_OID


def test_the_sas_expires_and_renewal_signs_the_same_name(services: Services, azurite: Azurite) -> None:
    verify = str(azurite.cert_path)
    principal = Principal(MET_OID, None, "met")
    slot = upload_sas.open_slot(services, principal, "short.mp3", 4, lifetime=timedelta(seconds=2))
    block = base64.b64encode(b"b0").decode()
    assert _put_block(slot["uploadUrl"], block, b"ab", verify).status_code == 201
    time.sleep(3)
    assert _put_block(slot["uploadUrl"], block, b"ab", verify).status_code == 403  # expired
    renewed = upload_sas.renew_slot(services, principal, slot["uploadId"])
    assert renewed["blobName"] == slot["blobName"] and renewed["uploadUrl"] != slot["uploadUrl"]
    assert _put_block(renewed["uploadUrl"], base64.b64encode(b"b1").decode(), b"cd", verify).status_code == 201
    listed = _call(upload_sas.get_upload, services, "GET", "v1/uploads/x", upload_id=slot["uploadId"])[1]
    assert {b["size"] for b in listed["uncommittedBlocks"]} == {2} and len(listed["uncommittedBlocks"]) == 2


def test_resume_answers_the_callers_unfinished_slot_for_that_name_and_size(services: Services,
                                                                          azurite: Azurite) -> None:
    verify = str(azurite.cert_path)
    met, other = Principal(MET_OID, None, "met"), Principal(OTHER_OID, None, "met")
    name = f"call-{uuid.uuid4().hex[:8]}.wav"  # Azurite keeps earlier runs' slots
    slot = upload_sas.open_slot(services, met, name, 4)
    assert slot["resumed"] is False
    kept = upload_sas.open_slot(services, met, name, 4, resume=True)
    assert (kept["uploadId"], kept["blobName"], kept["resumed"]) == (slot["uploadId"], slot["blobName"], True)
    # not for another officer, another size or name, nor without asking
    assert upload_sas.open_slot(services, other, name, 4, resume=True)["uploadId"] != slot["uploadId"]
    assert upload_sas.open_slot(services, met, name, 5, resume=True)["resumed"] is False
    assert upload_sas.open_slot(services, met, name, 4)["uploadId"] != slot["uploadId"]
    newest = upload_sas.open_slot(services, met, name, 4, resume=True)  # the newest slot is kept
    assert newest["resumed"] is True and newest["uploadId"] != slot["uploadId"]
    block = base64.b64encode(b"b0").decode()
    assert _put_block(newest["uploadUrl"], block, b"abcd", verify).status_code == 201
    assert _commit(newest["uploadUrl"], [block], {"sha256": hashlib.sha256(b"abcd").hexdigest()},
                   verify).status_code == 201
    assert upload_sas.open_slot(services, met, name, 4, resume=True)["resumed"] is False  # committed


def test_slot_requests_are_checked(services: Services) -> None:
    def create(name: str, size: int) -> int:
        return _call(upload_sas.create_upload, services, "POST", "v1/uploads", body={"name": name, "size": size})[0]

    assert create("../x.wav", 5) == create("x.exe", 5) == create("x.wav", 0) == 400
    assert create("x.wav", services.settings.max_upload_bytes + 1) == 413
    assert _call(upload_sas.get_upload, services, "GET", "v1/uploads/x", upload_id="../../x")[0] == 404
    req = http_request("POST", "v1/uploads", body={"name": "x.wav", "size": 5})  # no principal
    assert asyncio.run(upload_sas.create_upload(req, None, services)).status_code == 401


def test_the_bicep_cors_rule_admits_block_puts_from_the_page_origin_only(azurite: Azurite) -> None:
    """The rule infra/bicep/modules/storage.bicep sets on the evidence blob service, applied to Azurite."""
    from azure.storage.blob import CorsRule
    from pycep import BicepParser

    storage = Path(__file__).resolve().parents[2] / "infra/bicep/modules/storage.bicep"
    tree: Any = BicepParser().parse(file_path=storage)
    rule: dict[str, Any] = tree["variables"]["uploadCors"]["value"]
    page, verify = "https://toex.force.example", str(azurite.cert_path)
    svc = azurite.service_client()
    svc.set_service_properties(cors=[CorsRule([page], rule["allowedMethods"], allowed_headers=rule["allowedHeaders"],
                                              exposed_headers=rule["exposedHeaders"],
                                              max_age_in_seconds=rule["maxAgeInSeconds"])])
    try:
        url = f"{azurite.account_url}/incoming/met/web/2026-12-01/{uuid.uuid4().hex}/a.wav"

        def preflight(origin: str, method: str = "PUT",
                      headers: str = "content-type,if-none-match,x-ms-meta-sha256,x-ms-meta-language,x-ms-version"
                      ) -> requests.Response:
            return requests.options(url, verify=verify, timeout=10, headers={
                "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})

        ok = preflight(page)
        assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == page
        assert preflight("https://evil.example").status_code == 403
        assert preflight(page, method="GET").status_code == 403  # no cross-origin reads of evidence
        assert preflight(page, method="DELETE").status_code == 403
        assert preflight(page, headers="x-ms-version,authorization").status_code == 403  # headers are checked
    finally:
        svc.set_service_properties(cors=[])
