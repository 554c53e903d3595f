"""The officer's page in a real browser (Debian's chromium through Playwright) over ``toex web``.

The jobs run the real pipeline with the tiny random Whisper: its words are noise, but they are the
model's own output, and the page must show exactly what the API returns.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.media import padded_speech_wav

JOB_TIMEOUT_MS = 240_000


def _axe_violations(page: Any) -> list[str]:
    """axe-core (the copy bundled in the axe-playwright-python wheel, no CDN): serious and critical only."""
    import axe_playwright_python

    source = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(source + "\n;undefined")  # through DevTools, not a page script: the CSP stays as served
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in found if v["impact"] in ("serious", "critical")]


def _login(browser: Any, site: Site, who: Any) -> tuple[Any, Any]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(site.login_url(who))
    assert "token" not in page.url  # the token left the address bar (and the history)
    page.wait_for_selector("#who:has-text('Signed in')")
    return context, page


def test_streaming_sha256_in_the_page_matches_hashlib(site: Site, browser: Any) -> None:
    context, page = _login(browser, site, site.met)
    rng = random.Random(3)
    cases = [b"", b"abc", bytes(55), bytes(56), bytes(63), bytes(64), bytes(65),
             bytes(rng.randrange(256) for _ in range(300_001))]
    for data in cases:
        cuts = sorted({0, len(data), *(rng.randrange(len(data) + 1) for _ in range(5))})
        parts = [list(data[a:b]) for a, b in itertools.pairwise(cuts)]
        got = page.evaluate("parts => { const h = new Sha256(); for (const p of parts) h.update(new Uint8Array(p));"
                            " return h.hex(); }", parts)
        assert got == hashlib.sha256(data).hexdigest(), len(data)
    context.close()


def test_upload_watch_progress_read_seek_download_cancel_retry(site: Site, browser: Any, make_media: Any,
                                                                tmp_path: Path) -> None:
    first = make_media(tmp_path, "wav", seconds=12, content="speech")
    second = make_media(tmp_path, "flac", seconds=9, content="speech")
    context, page = _login(browser, site, site.met)
    page.select_option("#opt-translate", "en")
    page.fill("#opt-case", "OP-PINE/24")
    page.fill("#opt-exhibit", "JB/1")
    page.fill("#opt-persons", "PC 1234\nZoë Łukasz")  # a name a line: sent as "PC 1234; Zoë Łukasz"
    page.set_input_files("#files", [str(first), str(second)])
    page.click("#upload-button")
    for path in (first, second):
        item = page.locator(f"#uploads li[data-name='{path.name}']")
        item.locator(".note:has-text('Uploaded')").wait_for(timeout=60_000)
        assert item.locator("progress").get_attribute("value") == "100"
        assert item.get_attribute("data-sha256") == hashlib.sha256(path.read_bytes()).hexdigest()
    # one job runs at a time: the other is queued, and can be cancelled, then retried
    queued = page.locator("#jobs tr[data-status='queued']").first
    queued.wait_for(timeout=30_000)
    queued_id = queued.get_attribute("data-job")
    page.locator(f"#jobs tr[data-job='{queued_id}'] button:has-text('Cancel')").click()
    page.locator(f"#jobs tr[data-job='{queued_id}'][data-status='cancelled']").wait_for(timeout=30_000)
    page.locator(f"#jobs tr[data-job='{queued_id}'] button:has-text('Retry')").click()
    page.locator(f"#jobs tr[data-job='{queued_id}'][data-status='queued'],"
                 f"#jobs tr[data-job='{queued_id}'][data-status='running']").wait_for(timeout=30_000)
    # the other job shows its stage and progress, then finishes
    done = page.locator("#jobs tr[data-status='succeeded']").first
    done.wait_for(timeout=JOB_TIMEOUT_MS)
    assert done.locator("progress").get_attribute("value") == "100"
    job_id = done.get_attribute("data-job")
    results = context.request.get(f"{site.base}/api/v1/jobs/{job_id}/results").json()
    transcript = results["transcript"]
    assert transcript["segments"], "the tiny model wrote no segment"
    done.locator("a").click()
    page.wait_for_selector("#lines li")
    played = "original" if transcript["source"]["name"].endswith(".wav") else "rendition"  # FLAC: a rendition
    assert page.get_attribute("#player-box > *", "data-source") == played
    # the record's header, as the transcript and the upload say
    record = page.inner_text("#record")
    assert transcript["source"]["sha256"] in record and "OP-PINE/24" in record and "JB/1" in record
    assert "PC 1234; Zoë Łukasz" in record  # percent-encoded on the upload, decoded once at intake
    assert results["record"] == {"case_reference": "OP-PINE/24", "exhibit_reference": "JB/1",
                                 "persons_present": ["PC 1234", "Zoë Łukasz"]}
    assert transcript["model"]["name"] in record
    # every segment is a line with its own text
    lines = page.locator("#lines li:not(.skipped)")
    assert lines.count() == len(transcript["segments"])
    texts = page.locator("#lines p.text").all_inner_texts()
    assert texts == [s["text"].strip() for s in transcript["segments"]]
    # a click on a line seeks the player there, and that line becomes the current one
    segments = transcript["segments"]
    inside = [s for s in segments if 0.5 < s["start"] < transcript["source"]["duration_s"] - 0.5] or segments
    target = max(inside, key=lambda s: s["start"])
    row = lines.nth(segments.index(target))
    row.locator("p.text").click()
    page.wait_for_function("t => Math.abs(document.querySelector('#player-box > *').currentTime - t) < 0.6",
                           arg=target["start"], timeout=10_000)
    assert "current" in (row.get_attribute("class") or "")
    # and by keyboard: the first line's time button, then Enter
    first_row = lines.nth(0)
    first_row.locator("button.time").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("t => Math.abs(document.querySelector('#player-box > *').currentTime - t) < 0.6",
                           arg=segments[0]["start"], timeout=10_000)
    # search finds the words it is given
    word = next(w for s in transcript["segments"] for w in s["text"].split() if len(w) > 1)
    page.fill("#search", word)
    assert page.locator("#lines mark").count() >= 1
    # the DOCX download is the job's own document
    with page.expect_download() as dl:
        page.click("#downloads a:has-text('DOCX')")
    saved = tmp_path / "out.docx"
    dl.value.save_as(saved)
    with zipfile.ZipFile(saved) as z:
        assert "word/document.xml" in z.namelist()
    assert _axe_violations(page) == []
    media = context.request.get(f"{site.base}{results['links']['media']}", headers={"Range": "bytes=0-1023"})
    assert media.status == 206 and len(media.body()) == 1024
    context.close()


def test_a_failed_upload_says_why_and_another_forces_job_is_not_found(site: Site, browser: Any,
                                                                         tmp_path: Path) -> None:
    bad = tmp_path / "statement.mp3"
    bad.write_bytes(b"this is not audio at all " * 40)
    context, page = _login(browser, site, site.met)
    page.set_input_files("#files", str(bad))
    page.click("#upload-button")
    row = page.locator("#jobs tr[data-status='failed']:has-text('statement.mp3')")
    row.wait_for(timeout=JOB_TIMEOUT_MS)
    assert "Failed:" in row.inner_text() and row.locator("button:has-text('Retry')").count() == 1
    job_id = row.get_attribute("data-job")
    assert _axe_violations(page) == []
    context.close()
    # Kent's detective (force-wide role) cannot see, open, cancel or retry Met's job: 404, as in the API
    kent, kpage = _login(browser, site, site.kent)
    for method, suffix in (("get", ""), ("get", "/results"), ("post", "/cancel"), ("post", "/retry")):
        resp = getattr(kent.request, method)(f"{site.base}/api/v1/jobs/{job_id}{suffix}",
                                             headers={"Origin": site.base})
        assert resp.status == 404, suffix
        assert "met" not in resp.text()
    listed = kent.request.get(f"{site.base}/api/v1/jobs").json()
    assert listed["forceId"] == "kent" and job_id not in json.dumps(listed)
    kpage.goto(f"{site.base}/#/jobs/{job_id}")
    kpage.wait_for_selector("#job-state:has-text('No such job')")
    kent.close()


def test_a_large_upload_resumes_after_the_connection_drops(site: Site, browser: Any, tmp_path: Path) -> None:
    big = padded_speech_wav(tmp_path / "interview-bwv.wav", 6, 200 * 1024 * 1024)
    blocks = -(-big.stat().st_size // (8 * 1024 * 1024))
    context, page = _login(browser, site, site.met)
    seen = {"puts": 0, "lists": 0}

    def interrupt(route: Any) -> None:
        req = route.request
        if req.method == "GET" and "comp=blocklist" in req.url:
            seen["lists"] += 1
        if req.method == "PUT" and "comp=block&" in req.url:
            seen["puts"] += 1
            if seen["puts"] == 6:  # the server keeps the block, but the answer is lost
                route.fetch()
                return route.abort("connectionreset")
            if seen["puts"] in (7, 8):  # the block never arrives
                return route.abort("connectionreset")
        route.continue_()

    page.route("**/upload/**", interrupt)
    before = site.web.block_puts
    page.set_input_files("#files", str(big))
    page.click("#upload-button")
    item = page.locator("#uploads li[data-name='interview-bwv.wav']")
    item.locator(".note:has-text('Uploaded')").wait_for(timeout=300_000)
    assert seen["lists"] >= 1  # it asked the slot which blocks had arrived
    assert site.web.block_puts - before == blocks  # the kept block was not sent again; the lost ones were
    sha = hashlib.sha256()
    with open(big, "rb") as f:
        for chunk in iter(lambda: f.read(8 << 20), b""):
            sha.update(chunk)
    assert item.get_attribute("data-sha256") == sha.hexdigest()
    job = next(j for j in context.request.get(f"{site.base}/api/v1/jobs").json()["jobs"]
               if j["source"]["name"] == "interview-bwv.wav")
    assert job["source"]["sha256"] == sha.hexdigest() and job["source"]["size_bytes"] == big.stat().st_size
    context.close()


@pytest.fixture(autouse=True)
def _no_evidence_in_logs(caplog: pytest.LogCaptureFixture) -> Any:
    yield
    for record in caplog.records:
        message = record.getMessage()
        assert "token=" not in message and "sig=" not in message and "?" not in message, message
