"""``toex web`` as an officer starts it: it prints a link with the token, and the link opens the page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from functions.local.webauth import Identity

ROOT = Path(__file__).resolve().parents[2]


def test_toex_web_prints_a_link_per_identity_and_serves_the_page(tmp_path: Path, tiny_whisper_package: Path,
                                                                   vad_model_path: Path) -> None:
    env = {**os.environ, "TOEX_VAD_MODEL": str(vad_model_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "functions.local", "--data-dir", str(tmp_path / "data"), "web",
                             "--port", "0", "--model", str(tiny_whisper_package), "--identity", "met:pc1",
                             "--identity", "kent:ds2:forcewide"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        links = [re.search(r"(http://127\.0\.0\.1:\d+/\?token=[\w-]+)", proc.stderr.readline()) for _ in range(2)]
        urls = [m.group(1) for m in links if m]
        assert len(urls) == 2 and urls[0] != urls[1]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(urls[0], timeout=30)  # 303 to / with the cookie, then the page
        assert page.status == 200 and b"Upload recordings" in page.read() and page.url.endswith("/")
        me = opener.open(urls[0].split("?")[0] + "api/v1/me", timeout=30)
        assert b'"forceId": "met"' in me.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urls[0].split("?")[0] + "api/v1/jobs", timeout=30)
        assert refused.value.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_identities_are_force_user_and_an_optional_force_wide_role() -> None:
    assert Identity.parse("met:pc1234").force_id == "met"
    assert Identity.parse("kent:ds42:forcewide").role == "Transcribe.ForceWide"
    for bad in ("met", "met:", "met:pc:admin", "m et:pc", "met:pc/1"):
        with pytest.raises(ValueError):
            Identity.parse(bad)
