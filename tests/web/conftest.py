"""Fixtures for the page tests: ``toex web`` on a free port over the tiny Whisper, and Debian's chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from functions.local.web import WebApp, launch_url, local_app, make_server
from functions.local.webauth import Identity
from shared.services import set_services
from shared.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@dataclass
class Site:
    web: WebApp
    met: Identity
    kent: Identity

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web.port}"

    def login_url(self, who: Identity) -> str:
        return launch_url(self.web, who)


@contextmanager
def serving(data: Path, tiny_whisper_package: Path, vad_model_path: Path, people: list[Identity]) -> Iterator[WebApp]:
    """``toex web`` over the tiny Whisper for these identities, on a free port, until the block ends."""
    settings = Settings(mode="local", data_dir=data, whisper_model_dir=tiny_whisper_package,
                        vad_model_path=vad_model_path, intra_op_threads=1, chunk_minutes=5.0)
    app = local_app(settings, people, workers=1, retry_interval_scale=0.001)
    server, web = make_server(app, people, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        web.stop()
        server.shutdown()
        server.server_close()
        set_services(None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tiny_whisper_package: Path, vad_model_path: Path) -> Iterator[Site]:
    met, kent = Identity.parse("met:pc1234"), Identity.parse("kent:ds42:forcewide")
    with serving(tmp_path_factory.mktemp("web-data"), tiny_whisper_package, vad_model_path, [met, kent]) as web:
        yield Site(web, met, kent)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
