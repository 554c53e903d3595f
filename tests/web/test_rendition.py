"""The page plays an audio rendition made by the pipeline when a browser cannot play the original."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from shared.media import probe
from tests.fixtures import mediagen
from tests.web.conftest import Site
from tests.web.test_page import JOB_TIMEOUT_MS, _login

PLAYER = "document.querySelector('#player-box > audio, #player-box > video')"


def _finished(page: Any, name: str) -> str:
    row = page.locator(f"#jobs tr[data-status='succeeded']:has-text('{name}')")
    row.wait_for(timeout=JOB_TIMEOUT_MS)
    return str(row.get_attribute("data-job"))


def test_an_mkv_with_two_flac_tracks_and_an_amr_3gp_play_as_renditions(site: Site, browser: Any, make_media: Any,
                                                                          tmp_path: Path) -> None:
    mkv = mediagen.write_tracks(tmp_path / "interview-two-mics.mkv", [
        mediagen.AudioTrack(mediagen.speech(9)), mediagen.AudioTrack(mediagen.speech(5), start_s=4.0)],
        fmt="matroska", codec="flac", rate=16000, video_s=3)
    phone = make_media(tmp_path, "3gp", seconds=6)
    originals = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (mkv, phone)}
    context, page = _login(browser, site, site.met)
    page.set_input_files("#files", [str(mkv), str(phone)])
    page.click("#upload-button")
    for path in (mkv, phone):
        job_id = _finished(page, path.name)
        res = context.request.get(f"{site.base}/api/v1/jobs/{job_id}/results").json()
        playback, duration = res["playback"], res["transcript"]["source"]["duration_s"]
        assert playback["playable_original"] is False and playback["reason"]
        rendition = playback["rendition"]
        assert abs(rendition["duration_s"] - duration) < 0.05
        audio = context.request.get(f"{site.base}{res['links']['audio']}")
        assert audio.status == 200 and audio.headers["content-type"] == "audio/mp4"
        assert hashlib.sha256(audio.body()).hexdigest() == rendition["sha256"]
        kept = tmp_path / f"{path.stem}.rendition.m4a"
        kept.write_bytes(audio.body())
        assert abs(probe(kept).duration_s - duration) < 0.06
        part = context.request.get(f"{site.base}{res['links']['audio']}", headers={"Range": "bytes=100-1123"})
        assert part.status == 206 and part.body() == audio.body()[100:1124]
        original = context.request.get(f"{site.base}{res['links']['media']}")
        assert hashlib.sha256(original.body()).hexdigest() == originals[path.name]  # never altered
    # in chromium: the MKV's page plays the rendition, its duration is the recording's and seeking works
    res = context.request.get(f"{site.base}/api/v1/jobs/{_finished(page, mkv.name)}/results").json()
    page.locator(f"#jobs tr:has-text('{mkv.name}') a").click()
    page.wait_for_selector("#lines li")
    assert page.get_attribute("#player-box > *", "data-source") == "rendition"
    assert page.locator("#playback-note").is_visible()
    page.wait_for_function(f"{PLAYER}.readyState >= 1", timeout=10_000)
    got = page.evaluate(f"{PLAYER}.duration")
    assert abs(got - res["transcript"]["source"]["duration_s"]) < 0.1, got
    for target in (6.5, 1.25):
        page.evaluate(f"t => {{ {PLAYER}.currentTime = t; }}", target)
        page.wait_for_function(f"t => !{PLAYER}.seeking && Math.abs({PLAYER}.currentTime - t) < 0.05",
                               arg=target, timeout=10_000)
    segments = res["transcript"]["segments"]
    assert segments, "the tiny model wrote no segment"
    last = page.locator("#lines li:not(.skipped)").nth(len(segments) - 1)  # a click on a line seeks there
    last.locator("p.text").click()
    page.wait_for_function(f"t => Math.abs({PLAYER}.currentTime - t) < 0.6", arg=segments[-1]["start"],
                           timeout=10_000)
    context.close()
