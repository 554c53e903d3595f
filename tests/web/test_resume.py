"""Uploads resume across a reload of the page (and a restart of ``toex web``): slots are kept on disk."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

from functions.local.uploads import UploadSlots
from functions.local.webauth import Identity
from shared.adapters.local_blob import FsBlobStore
from shared.settings import Settings
from tests.web.conftest import Site
from tests.web.media import padded_speech_wav
from tests.web.test_page import _login


def test_a_slot_and_its_blocks_outlive_the_server_that_opened_it(tmp_path: Path) -> None:
    settings = Settings(mode="local", data_dir=tmp_path)
    blobs = FsBlobStore(tmp_path / "blobs")
    officer, other = Identity.parse("met:pc1234"), Identity.parse("met:pc999")
    first = UploadSlots(settings, blobs)
    slot = first.create(officer, "call.wav", 10)
    first.stage(slot, base64.b64encode(b"000000-a").decode(), io.BytesIO(b"hello"), 5)
    (tmp_path / "uploads" / slot.slot_id / "x.part-1234").write_bytes(b"hal")  # a block cut off mid-way
    again = UploadSlots(settings, blobs)  # a new launch, new tokens: the same officer by force and user
    same = Identity.parse("met:pc1234")
    kept = again.unfinished(same, "call.wav", 10)
    assert kept is not None and kept.slot_id == slot.slot_id and kept.ref == slot.ref
    assert again.block_list(kept)["uncommittedBlocks"] == [{"name": base64.b64encode(b"000000-a").decode(),
                                                            "size": 5}]
    assert again.unfinished(other, "call.wav", 10) is None and again.unfinished(same, "call.wav", 11) is None
    again.stage(kept, base64.b64encode(b"000001-b").decode(), io.BytesIO(b"world"), 5)
    ids = [base64.b64encode(x).decode() for x in (b"000000-a", b"000001-b")]
    info = again.assemble(kept, ids, {"sha256": hashlib.sha256(b"helloworld").hexdigest()})
    assert info.metadata["submitted_by"] == "pc1234" and blobs.download(kept.ref) == b"helloworld"
    assert again.unfinished(same, "call.wav", 10) is None  # committed: not offered again
    assert UploadSlots(settings, blobs).unfinished(same, "call.wav", 10) is None  # nor after another restart


def test_after_a_reload_the_same_file_chosen_again_sends_only_the_missing_blocks(site: Site, browser: Any,
                                                                                 tmp_path: Path) -> None:
    big = padded_speech_wav(tmp_path / "statement-bwv.wav", 4, 44 * 1024 * 1024)
    blocks = -(-big.stat().st_size // (8 * 1024 * 1024))
    context, page = _login(browser, site, site.met)
    puts = {"n": 0}

    def cut_after_two(route: Any) -> None:  # the connection drops for good after two blocks
        if route.request.method == "PUT" and "comp=block&" in route.request.url:
            puts["n"] += 1
            if puts["n"] > 2:
                return route.abort("connectionreset")
        route.continue_()

    before = site.web.block_puts
    page.route("**/upload/**", cut_after_two)
    page.set_input_files("#files", str(big))
    page.click("#upload-button")
    page.locator("#uploads li .note:has-text('Connection lost')").wait_for(timeout=60_000)
    page.reload()  # the page forgets everything (its retries too); the officer chooses the same file again
    page.wait_for_selector("#who:has-text('Signed in')")
    page.unroute("**/upload/**")
    assert site.web.block_puts - before == 2
    assert page.locator("#uploads li").count() == 0
    page.set_input_files("#files", str(big))
    page.click("#upload-button")
    item = page.locator("#uploads li[data-name='statement-bwv.wav']")
    item.locator(".note:has-text('Uploaded')").wait_for(timeout=120_000)
    assert f"resumed, 2 of {blocks} blocks were already there" in item.inner_text()
    assert site.web.block_puts - before == blocks  # the two kept blocks were not sent again
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    assert item.get_attribute("data-sha256") == sha
    job = next(j for j in context.request.get(f"{site.base}/api/v1/jobs").json()["jobs"]
               if j["source"]["name"] == "statement-bwv.wav")
    assert job["source"]["sha256"] == sha and job["submitted_by"] == "pc1234"
    context.close()
