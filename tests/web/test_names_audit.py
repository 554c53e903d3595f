"""Naming speakers, need to know and the access record in the page (Debian's chromium through Playwright).

One job runs the real pipeline with the tiny Whisper and the real speaker encoder over the pyannote
sample's two voices (``speakers`` 2): its words are noise, its labels are the diarization's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from functions.local.web import WebApp, launch_url
from functions.local.webauth import Identity
from tests.web.conftest import serving
from tests.web.test_page import JOB_TIMEOUT_MS, _axe_violations


@dataclass
class Station:
    web: WebApp
    pc: Identity  # submits the job
    colleague: Identity  # the same force, no force-wide role
    sergeant: Identity  # the same force, force-wide
    kent: Identity  # another force, force-wide
    job_id: str = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web.port}"


def _login(browser: Any, station: Station, who: Identity) -> tuple[Any, Any]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(launch_url(station.web, who))
    page.wait_for_selector("#who:has-text('Signed in')")
    return context, page


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory, tiny_whisper_package: Path, vad_model_path: Path,
            browser: Any, make_media: Any) -> Iterator[Station]:
    people = [Identity.parse(s) for s in ("met:pc1234", "met:pc5678", "met:sgt9:forcewide", "kent:ds42:forcewide")]
    with serving(tmp_path_factory.mktemp("web-names"), tiny_whisper_package, vad_model_path, people) as web:
        st = Station(web, *people)
        media = make_media(tmp_path_factory.mktemp("names-media"), "wav", seconds=20, content="speech")
        context, page = _login(browser, st, st.pc)
        page.fill("#opt-speakers", "2")
        page.set_input_files("#files", str(media))
        page.click("#upload-button")
        done = page.locator("#jobs tr[data-status='succeeded']").first
        done.wait_for(timeout=JOB_TIMEOUT_MS)
        st.job_id = done.get_attribute("data-job") or ""
        context.close()
        yield st


def test_rename_a_speaker_by_keyboard_and_see_it_in_the_lines_the_txt_and_the_access_record(
        station: Station, browser: Any, tmp_path: Path) -> None:
    context, page = _login(browser, station, station.pc)
    page.goto(f"{station.base}/#/jobs/{station.job_id}")
    page.wait_for_selector("#lines li")
    results = context.request.get(f"{station.base}/api/v1/jobs/{station.job_id}/results").json()
    labels = results["speakers"]["labels"]
    assert labels and labels[0] == "S1", results["speakers"]
    assert page.locator("#speakers-box").is_visible()
    segments = results["transcript"]["segments"]
    s1 = [s for s in segments if s.get("speaker") == "S1"]
    assert page.locator("#lines .speaker[data-label='S1']").all_inner_texts() == ["S1"] * len(s1)
    # keyboard only: the labelled field, typed into, Enter submits
    field = page.get_by_label("Name for S1")
    field.focus()
    page.keyboard.type("DC Hale")
    page.keyboard.press("Enter")
    page.wait_for_selector("#speaker-status:has-text('Saved')")
    assert page.locator("#lines .speaker[data-label='S1']").all_inner_texts() == ["DC Hale"] * len(s1)
    assert "Names version 1" in page.inner_text("#speaker-version")
    # the TXT download is rendered again with the name; transcript.json is still the machine's
    with page.expect_download() as dl:
        page.click("#downloads a:has-text('TXT')")
    saved = tmp_path / "renamed.txt"
    dl.value.save_as(saved)
    txt = saved.read_text(encoding="utf-8")
    assert txt.count("] DC Hale: ") == len(s1) and "] S1: " not in txt
    again = context.request.get(f"{station.base}/api/v1/jobs/{station.job_id}/results").json()
    assert again["transcript"] == results["transcript"] and again["speakers"]["names"] == {"S1": "DC Hale"}
    # the access record lists the openings (the page's, then this test's two API reads), the naming and
    # the download, with the user, in order
    page.locator("#audit tr[data-action='download']").wait_for(timeout=10_000)
    page.click("#audit-refresh")
    page.locator("#audit tbody tr:nth-child(5)").wait_for(timeout=10_000)
    # each cell's own text: a row's innerText has its tabs only while the table is laid out, and the view may
    # be re-rendered (hidden for a moment) between the wait and the read
    rows = page.locator("#audit tbody tr").evaluate_all(
        "rows => rows.map((r) => [...r.cells].map((c) => c.textContent))")
    assert [r[2] for r in rows] == ["Opened the transcript", "Opened the transcript", "Named speakers", "Downloaded",
                                    "Opened the transcript"], rows
    assert all(r[1] == "pc1234" and r[0].endswith(" UTC") for r in rows)
    assert rows[2][3] == "names version 1" and rows[3][3] == "TXT"
    assert "DC Hale" not in page.inner_text("#audit")  # who and when, not what
    assert _axe_violations(page) == []
    context.close()


def test_need_to_know_in_the_page_and_the_api(station: Station, browser: Any) -> None:
    job = f"/api/v1/jobs/{station.job_id}"
    # a colleague of the same force without the role: not listed, not opened, not renamed, no record
    context, page = _login(browser, station, station.colleague)
    assert page.locator("#scope-row").is_hidden()
    page.wait_for_selector("#no-jobs:not([hidden])")
    assert context.request.get(f"{station.base}/api/v1/jobs?scope=force").status == 403
    for method, suffix in (("get", "/results"), ("get", "/audit"), ("get", "/outputs/txt")):
        assert getattr(context.request, method)(f"{station.base}{job}{suffix}").status == 404, suffix
    put = context.request.put(f"{station.base}{job}/speakers", data='{"names": {"S1": "X"}}',
                              headers={"Origin": station.base, "Content-Type": "application/json"})
    assert put.status == 404
    page.goto(f"{station.base}/#/jobs/{station.job_id}")
    page.wait_for_selector("#job-state:has-text('No such job')")
    record = station.web.app.services.jobs.get("met", station.job_id)
    assert record is not None
    handed_on = station.web.output_link(station.pc, record, "txt")  # a link issued to the officer
    assert context.request.get(f"{station.base}{handed_on}").status == 403  # opens nothing for a colleague
    context.close()
    # another force's force-wide detective: 404 as well
    kent, _ = _login(browser, station, station.kent)
    assert kent.request.get(f"{station.base}{job}/audit").status == 404
    kent.close()
    # the force-wide sergeant: their own (none) by default, the force's jobs when asked, and the record
    context, page = _login(browser, station, station.sergeant)
    page.wait_for_selector("#no-jobs:not([hidden])")
    page.get_by_label("Show all jobs of my force").check()
    page.locator(f"#jobs tr[data-job='{station.job_id}']").wait_for(timeout=10_000)
    page.goto(f"{station.base}/#/jobs/{station.job_id}")
    page.locator("#audit tr[data-action='view']:has-text('sgt9')").wait_for(timeout=10_000)
    assert _axe_violations(page) == []
    context.close()
    trail = station.web.app.services.jobs.list_access("met", station.job_id)
    assert {e.user for e in trail} <= {"pc1234", "sgt9"} and "pc5678" not in {e.user for e in trail}
