"""The officer's page in Azure, in a real browser: sign-in by the code flow with PKCE, blocks straight to
Azurite (HTTPS, ``--oauth basic``, the Bicep's CORS rule) with the user-delegation SAS the real
``upload_sas`` handlers issue, the commit with the block list and metadata, the job started by the blob
trigger's ``start_from_blob``, resume after a lost connection and renewal of the SAS.

The page and the API are served by the test stand-in of the gateway (tests/web/azure_host.py), which
answers with the Function App's own page handler and the real API handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError

from functions import upload_sas
from functions.lifecycle import start_from_blob
from functions.local.client import RunnerClient
from functions.local.runner import LocalOrchestrationRunner
from functions.local.taskhub import TaskHub
from functions.registry import ACTIVITIES, ORCHESTRATORS
from shared.adapters.base import BlobNotFound
from shared.services import Services, build_local, set_services
from tests.fixtures.services import Azurite
from tests.functions.helpers import make_settings
from tests.web.azure_host import AzureHost, Officer, pkce_challenge, serving
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.services

MET = Officer("00000000-0000-0000-0000-00000000b001", "met")
BLOCK = upload_sas.BLOCK_SIZE


@pytest.fixture(scope="module")
def host(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureHost]:
    from azure.storage.blob import CorsRule
    from pycep import BicepParser

    svc = azurite.service_client()
    for name in ("incoming", "work"):
        with contextlib.suppress(ResourceExistsError):
            svc.create_container(name)
    data = tmp_path_factory.mktemp("azure-page")
    local = build_local(make_settings(data / "data", forces=("met", "kent")))
    services = replace(local, blobs=azurite.blob_store(),
                       settings=replace(local.settings, blob_account_url=azurite.account_url))
    set_services(services)
    runner = LocalOrchestrationRunner(TaskHub(data / "taskhub.db"), ORCHESTRATORS, ACTIVITIES, max_workers=1)
    storage = Path(__file__).resolve().parents[2] / "infra/bicep/modules/storage.bicep"
    rule: dict[str, Any] = BicepParser().parse(file_path=storage)["variables"]["uploadCors"]["value"]
    with serving(services, RunnerClient(runner)) as h:
        # the Bicep's CORS rule on the evidence blob service, for this page's origin
        svc.set_service_properties(cors=[CorsRule([h.base], rule["allowedMethods"],
                                                  allowed_headers=rule["allowedHeaders"],
                                                  exposed_headers=rule["exposedHeaders"],
                                                  max_age_in_seconds=rule["maxAgeInSeconds"])])
        try:
            yield h
        finally:
            svc.set_service_properties(cors=[])
            set_services(None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # Azurite's certificate is self-signed: accepted in this test only
        b = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"])
        yield b
        b.close()


def _signed_in(browser: Any, host: AzureHost, who: Officer = MET) -> tuple[Any, Any]:
    host.user = who
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{host.base}/")
    page.wait_for_selector("#who:has-text('Signed in')", timeout=15_000)
    return context, page


def _file(tmp_path: Path, name: str, size: int, seed: int) -> Path:
    path = tmp_path / name
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def _upload(page: Any, path: Path) -> dict[str, Any]:
    """Choose the file, press upload; the slot the API answered."""
    page.set_input_files("#files", str(path))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/uploads") and r.request.method == "POST") as slot:
        page.click("#upload-button")
    return dict(slot.value.json())


def _committed(services: Services, ref: str, page: Any, timeout: float = 30) -> Any:
    until = time.monotonic() + timeout
    while True:
        try:
            return services.blobs.properties(ref)
        except BlobNotFound:
            if time.monotonic() > until:
                raise AssertionError(f"not committed; the page says: {page.inner_text('#uploads')}") from None
            page.wait_for_timeout(200)  # (not time.sleep: the sync API runs route handlers only in its calls)


def _block_puts(page: Any, on_put: Any = None) -> list[str]:
    """Route the page's Put Block requests to Azurite through ``on_put(route, block id)`` (default: pass);
    the block ids of those that reached storage, in order."""
    reached: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        if route.request.method != "PUT" or "comp=block&" not in url:
            return route.continue_()
        block_id = url.split("blockid=", 1)[1].split("&", 1)[0]
        if on_put is None or on_put(route, block_id, reached) is None:
            reached.append(block_id)
            route.continue_()

    page.route(lambda url: url.startswith("https://"), handle)  # Azurite (the page's own origin is http)
    return reached


def test_pkce_verifier_challenge_state_and_redirect_parsing(browser: Any, host: AzureHost) -> None:
    context, page = _signed_in(browser, host)
    # RFC 7636 appendix B, and fresh verifiers against Python's hashlib
    rfc = page.evaluate("() => toexAuth.challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')")
    assert rfc == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" == pkce_challenge(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    pairs = page.evaluate("async () => { const out = []; for (let i = 0; i < 20; i++) {"
                          " const v = toexAuth.verifier(); out.push([v, await toexAuth.challenge(v)]); } return out; }")
    assert len({v for v, _ in pairs}) == 20
    for verifier, challenge in pairs:
        assert 43 <= len(verifier) <= 128 and set(verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        assert challenge == pkce_challenge(verifier)
    parse = "([q, s]) => toexAuth.parseRedirect(q, s)"
    assert page.evaluate(parse, ["?code=abc&state=s1", "s1"]) == {"code": "abc"}
    assert "does not match" in page.evaluate(parse, ["?code=abc&state=forged", "s1"])["error"]
    assert "does not match" in page.evaluate(parse, ["?code=abc&state=s1", None])["error"]  # no request of ours
    assert page.evaluate(parse, ["?error=access_denied&error_description=no+roles&state=s1", "s1"]) == {
        "error": "no roles"}
    assert page.evaluate(parse, ["", "s1"]) is None and page.evaluate(parse, ["?x=1", "s1"]) is None
    url = page.evaluate("() => toexAuth.loadConfig().then((c) => toexAuth.authorizeUrl(c, 'st', 'ch'))")
    assert url.startswith(f"{host.base}/entra/") and "/oauth2/v2.0/authorize?" in url
    for part in ("response_type=code", "code_challenge=ch", "code_challenge_method=S256", "state=st",
                 f"redirect_uri={host.base.replace(':', '%3A').replace('/', '%2F')}%2F"):
        assert part in url, part
    context.close()


def test_sign_in_then_blocks_straight_to_storage_and_the_job_starts_from_the_blob(
        browser: Any, host: AzureHost, azurite: Azurite, tmp_path: Path) -> None:
    issued, calls = host.tokens_issued, len(host.api_calls)
    context, page = _signed_in(browser, host)
    assert host.tokens_issued == issued + 1  # one code-for-token exchange, the PKCE verifier checked
    assert "code=" not in page.url and "state=" not in page.url
    assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]
    assert MET.oid in page.inner_text("#who")
    sent_to_storage: list[dict[str, str]] = []
    page.on("request", lambda r: sent_to_storage.append(r.headers) if r.url.startswith("https://") else None)
    reached = _block_puts(page)

    path = _file(tmp_path, "interview 7.wav", 2 * BLOCK + 12345, seed=71)  # three blocks, the last short
    slot = _upload(page, path)
    assert slot["protocol"] == "azure-blob" and slot["blockSize"] == BLOCK
    ref = slot["blobName"]
    info = _committed(host.services, ref, page)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert host.services.blobs.download(ref) == data and info.metadata["sha256"] == sha
    assert info.metadata["original_name"] == "interview%207.wav"
    container, name = ref.split("/", 1)
    blob = azurite.service_client().get_blob_client(container, name)
    committed, _ = blob.get_block_list("committed")
    indexes = [int(b.id[:6]) for b in committed]  # the SDK answers the ids decoded: "000000-<sha prefix>"
    assert indexes == [0, 1, 2] and [b.size for b in committed] == [BLOCK, BLOCK, 12345]
    assert len(reached) == 3  # each block sent once
    assert all("authorization" not in h for h in sent_to_storage)  # storage never sees the officer's token
    # the page asked before it had a token (401: sign in), and again back from the sign-in; then always with it
    mine = host.api_calls[calls:]
    assert [c for c in mine if not c[2]] == [("GET", "/api/v1/me", False)] * 2 and mine[2:] and all(
        bearer for _, _, bearer in mine[2:])

    # the BlobCreated event's part: the blob trigger's own code, over the SDK's BlobClient
    trigger_blob = azurite.service_client(azurite.token_credential()).get_blob_client(container, name)
    with ThreadPoolExecutor(1) as pool:  # its own event loop: Playwright's sync API holds this thread's
        outcome = pool.submit(asyncio.run, start_from_blob(trigger_blob, host.client)).result()
    assert outcome.action == "started" and outcome.job is not None
    assert outcome.job.submitted_by == MET.oid and outcome.job.source.sha256 == sha  # the slot's owner
    item = page.locator("#uploads li[data-name='interview 7.wav']")
    item.locator(".note:has-text('queued')").wait_for(timeout=15_000)
    assert item.get_attribute("data-job") == outcome.job.job_id and item.get_attribute("data-sha256") == sha
    page.locator(f"#jobs tr[data-job='{outcome.job.job_id}']").wait_for(timeout=10_000)
    context.close()


def test_a_lost_connection_resumes_with_only_the_missing_blocks(browser: Any, host: AzureHost,
                                                                 tmp_path: Path) -> None:
    context, page = _signed_in(browser, host)
    cut: dict[str, str] = {}

    def lost_after_arrival(route: Any, block_id: str, reached: list[str]) -> bool | None:
        if not cut and block_id.startswith("MDAwMDAx"):  # block 1: it reaches storage, its answer is lost
            cut["id"] = block_id
            reached.append(block_id)
            route.fetch()
            route.abort("connectionreset")
            return True
        return None

    reached = _block_puts(page, lost_after_arrival)
    path = _file(tmp_path, "call.wav", 2 * BLOCK + 999, seed=72)
    slot = _upload(page, path)
    item = page.locator("#uploads li[data-name='call.wav']")
    item.locator(".note:has-text('Connection lost')").wait_for(timeout=20_000)
    info = _committed(host.services, slot["blobName"], page)
    assert info.metadata["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sorted(reached) == sorted(set(reached)) and len(reached) == 3  # block 1 was not sent again
    assert any(path_ == f"/api/v1/uploads/{slot['uploadId']}" for _, path_, _b in host.api_calls)  # blockListUrl
    context.close()


def test_after_a_reload_the_same_file_chosen_again_sends_only_the_missing_blocks(browser: Any, host: AzureHost,
                                                                                 tmp_path: Path) -> None:
    context, page = _signed_in(browser, host)

    def cut_after_one(route: Any, block_id: str, reached: list[str]) -> bool | None:
        if reached:  # the connection drops for good after the first block
            route.abort("connectionreset")
            return True
        return None

    first = _block_puts(page, cut_after_one)
    path = _file(tmp_path, "statement.wav", 2 * BLOCK + 77, seed=74)
    slot = _upload(page, path)
    page.locator("#uploads li .note:has-text('Connection lost')").wait_for(timeout=20_000)
    page.unroute_all(behavior="ignoreErrors")
    page.reload()  # the page forgets everything, its token too: it signs in again
    page.wait_for_selector("#who:has-text('Signed in')", timeout=15_000)
    assert len(first) == 1
    again = _block_puts(page)
    assert _upload(page, path)["uploadId"] == slot["uploadId"]  # the same slot, a fresh SAS
    item = page.locator("#uploads li[data-name='statement.wav']")
    info = _committed(host.services, slot["blobName"], page)
    assert info.metadata["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(again) == 2 and first[0] not in again  # only the two missing blocks went
    item.locator(".note:has-text('resumed, 1 of 3 blocks were already there')").wait_for(timeout=5_000)
    context.close()


def test_the_sas_is_renewed_near_its_expiry_and_after_a_403(browser: Any, host: AzureHost, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the API signs for 4 minutes: under the page's 5-minute margin, so it renews before the first block
    monkeypatch.setattr(upload_sas, "open_slot", functools.partial(upload_sas.open_slot,
                                                                   lifetime=timedelta(minutes=4)))
    context, page = _signed_in(browser, host)
    urls: list[str] = []

    def refuse_first(route: Any, block_id: str, reached: list[str]) -> bool | None:
        urls.append(route.request.url)
        if len(urls) == 1:  # storage refuses the SAS once (as when it has run out)
            route.fulfill(status=403, body="AuthenticationFailed")
            return True
        return None

    _block_puts(page, refuse_first)
    before = host.renewals
    path = _file(tmp_path, "long.wav", BLOCK + 5, seed=73)
    slot = _upload(page, path)
    info = _committed(host.services, slot["blobName"], page)
    assert info.metadata["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert host.renewals - before == 2  # near expiry, then after the 403
    sigs = [u.split("sig=", 1)[1].split("&", 1)[0] for u in urls]
    assert slot["uploadUrl"].split("sig=", 1)[1].split("&", 1)[0] not in sigs  # never the 4-minute SAS
    context.close()


def test_an_expired_token_is_renewed_with_the_refresh_token_held_in_memory(browser: Any, host: AzureHost) -> None:
    context, page = _signed_in(browser, host)
    old, issued = host.last_token, len(host.grants)
    host.revoked.add(old)  # as if it had expired: the API answers 401
    with page.expect_request(lambda r: "/api/v1/jobs" in r.url and r.headers.get("authorization", "")
                             not in ("", f"Bearer {old}")):
        page.evaluate("() => refreshJobs()")
    page.wait_for_timeout(300)
    assert host.grants[issued:] == ["refresh_token"] and host.last_token != old  # one refresh, no new sign-in
    assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]
    assert "Signed in" in page.inner_text("#who") and page.url == f"{host.base}/"
    context.close()
