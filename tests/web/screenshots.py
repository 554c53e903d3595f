"""Screenshots of the page for the README (docs/web-*.png), over real models and the bundled sample.

Run by hand, not collected by pytest: ``python -m tests.web.screenshots [documents]`` (Whisper base int8
and the en→pt and pt→en text models, fetched once through models/fetch.py).
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from functions.local.web import launch_url, local_app, make_server
from functions.local.webauth import Identity
from models.fetch import ensure_default_model, ensure_translation_models, sample_path, vad_model_path
from shared.settings import Settings
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _serving(translation: str) -> tuple[Identity, Path, Any, Any]:
    """An officer, a fresh data folder, and ``toex web``'s server over Whisper base int8 and the
    ``translation`` text model, serving on a daemon thread."""
    officer = Identity.parse("met:pc1234")
    data = Path(tempfile.mkdtemp(prefix="toex-web-shots-"))
    settings = Settings(mode="local", data_dir=data, whisper_model_dir=ensure_default_model("int8"),
                        translation_model_dir=ensure_translation_models()[translation], vad_model_path=vad_model_path())
    server, web = make_server(local_app(settings, [officer]), [officer], "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return officer, data, server, web


def main() -> None:
    from playwright.sync_api import sync_playwright

    officer, _data, server, web = _serving("enpt")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
        page.goto(launch_url(web, officer))
        page.wait_for_selector("#who:has-text('Signed in')")
        page.select_option("#opt-translate", "pt")
        page.fill("#opt-case", "OP-PINE/24")
        page.fill("#opt-exhibit", "JB/1")
        page.fill("#opt-persons", "PC 1234, the caller")
        page.fill("#opt-speakers", "2")
        page.set_input_files("#files", str(sample_path()))
        page.click("#upload-button")
        page.wait_for_selector("#jobs tr[data-status='running']", timeout=120_000)
        page.screenshot(path=str(DOCS / "web-jobs.png"), full_page=True)
        page.wait_for_selector("#jobs tr[data-status='succeeded']", timeout=900_000)
        page.click("#jobs tr[data-status='succeeded'] a")
        page.wait_for_selector("#lines li")
        page.locator("#lines li").nth(2).locator("p.text").click()
        page.wait_for_timeout(1500)
        page.locator("video, audio").first.evaluate("p => p.pause()")
        page.fill("#search", "the")
        page.screenshot(path=str(DOCS / "web-transcript.png"), full_page=True)
        page.fill("#search", "")
        page.get_by_label("Name for S1").fill("PC 1234")
        page.get_by_label("Name for S2").fill("Caller")
        page.click("#speaker-save")
        page.wait_for_selector("#speaker-status:has-text('Saved')")
        with page.expect_download():
            page.click("#downloads a:has-text('DOCX')")
        page.wait_for_selector("#audit tr[data-action='download']")
        page.locator("#speakers-box").scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS / "web-names.png"), full_page=True)
        browser.close()
    web.stop()
    server.shutdown()


DOCUMENT = ["Auto de declarações", "O vizinho ouviu um barulho durante a noite e telefonou para a polícia.",
            "Świadek widział dwóch mężczyzn przed domem.", "The door was open when the officer arrived.",
            "A testemunha viu dois homens perto do carro azul às 23:42."]


def documents() -> None:
    """``docs/web-document.png``: a Portuguese statement (TXT) beside its English, one passage withheld."""
    from playwright.sync_api import sync_playwright

    officer, data, server, web = _serving("pten")
    source = data / "declaracao-testemunha.txt"
    source.write_text("\n".join(DOCUMENT) + "\n", encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(launch_url(web, officer))
        page.wait_for_selector("#who:has-text('Signed in')")
        page.fill("#opt-case", "OP-CEDAR/25")
        page.set_input_files("#files", str(source))
        page.click("#upload-button")
        page.wait_for_selector("#jobs tr[data-status='succeeded']", timeout=300_000)
        page.click("#jobs tr[data-status='succeeded'] a")
        page.wait_for_selector("#lines li")
        page.screenshot(path=str(DOCS / "web-document.png"), full_page=True)
        browser.close()
    web.stop()
    server.shutdown()


if __name__ == "__main__":
    import sys

    documents() if sys.argv[1:] == ["documents"] else (main(), documents())
