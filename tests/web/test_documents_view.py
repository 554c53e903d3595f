"""A document translation job in the page's side-by-side view, with the real Bergamot pt→en model."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.local.web import local_app, make_server
from functions.local.webauth import Identity
from models import fetch
from shared.services import set_services
from shared.settings import Settings
from tests.fixtures.models import _require_real_model
from tests.web.conftest import Site
from tests.web.test_page import JOB_TIMEOUT_MS, _axe_violations, _login

pytestmark = pytest.mark.real_model
LINES = ["O vizinho ouviu um barulho durante a noite.",
         "Świadek widział dwóch mężczyzn przed domem, a potem zadzwonił na policję.",  # Polish: no pl→en model
         "The door was open when the officer arrived.",  # already English: kept as written
         "A testemunha viu dois homens perto do carro azul."]


@pytest.fixture(scope="module")
def doc_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_whisper_package: Path,
             vad_model_path: Path) -> Iterator[Site]:
    _require_real_model(request)
    met, kent = Identity.parse("met:pc1234"), Identity.parse("kent:ds42:forcewide")
    settings = Settings(mode="local", data_dir=tmp_path_factory.mktemp("web-docs"),
                        whisper_model_dir=tiny_whisper_package, vad_model_path=vad_model_path, intra_op_threads=1,
                        translation_model_dir=fetch.ensure_translation_models()["pten"])
    app = local_app(settings, [met, kent], workers=1, retry_interval_scale=0.001)
    server, web = make_server(app, [met, kent], "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site(web, met, kent)
    web.stop()
    server.shutdown()
    server.server_close()
    set_services(None)


def test_a_portuguese_txt_opens_side_by_side_with_withheld_passages_and_downloads(doc_site: Site, browser: Any,
                                                                                  tmp_path: Path) -> None:
    site = doc_site
    source = tmp_path / "depoimento.txt"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    context, page = _login(browser, site, site.met)
    page.fill("#opt-case", "OP-CEDAR/25")
    page.set_input_files("#files", str(source))
    page.click("#upload-button")
    row = page.locator("#jobs tr[data-status='succeeded']:has-text('depoimento.txt')")
    row.wait_for(timeout=JOB_TIMEOUT_MS)
    job_id = row.get_attribute("data-job")
    res = context.request.get(f"{site.base}/api/v1/jobs/{job_id}/results").json()
    report = res["document"]
    assert "transcript" not in res and report["source"]["name"] == "depoimento.txt"
    row.locator("a").click()
    page.wait_for_selector("#lines li")
    assert page.inner_text("#h-job") == "Document: depoimento.txt"
    record = page.inner_text("#record")
    assert report["source"]["sha256"] in record and "OP-CEDAR/25" in record and report["model"]["name"] in record
    # every passage of the record is a line: its source beside its English, in the record's order
    lines = page.locator("#lines li")
    assert lines.count() == len(report["segments"]) == len(LINES)
    assert page.locator("#lines p.text").all_inner_texts() == [s["source"] for s in report["segments"]] == LINES
    assert lines.nth(0).locator(".place").inner_text() == "line 1"  # the place, as the record numbers it
    assert page.locator("#follow").is_hidden()  # no player, no current line to follow
    by_status = {s["status"]: i for i, s in enumerate(report["segments"])}
    for i in (0, 3):  # the Portuguese passages, translated
        assert report["segments"][i]["status"] == "translated"
        assert lines.nth(i).locator("p.tr").inner_text() == report["segments"][i]["translation"]
    assert "neighbo" in report["segments"][0]["translation"].lower()
    # the Polish passage is withheld, marked with its reason; the English one is kept as written
    withheld = lines.nth(by_status["kept_no_model"])
    assert report["skipped"] and report["skipped"][0]["reason"] == "no_model"
    assert withheld.locator("p.gap").inner_text().startswith("Translation withheld: no translation model")
    assert withheld.locator("p.tr").count() == 0
    kept = lines.nth(by_status["kept_target_language"])
    assert kept.locator("p.tr").inner_text() == LINES[2] and "kept as written" in kept.inner_text()
    # search covers both columns
    page.fill("#search", "testemunha")
    assert page.locator("#lines mark").count() == 1
    # the three outputs download as they are stored
    for label, key in (("Translated document", "translated"), ("Record (JSON)", "report")):
        with page.expect_download() as dl:
            page.click(f"#downloads a:has-text('{label}')")
        saved = tmp_path / dl.value.suggested_filename
        dl.value.save_as(saved)
        stored = context.request.get(f"{site.base}{res['links'][key]}").body()
        assert saved.read_bytes() == stored
    assert json.loads((tmp_path / "translation.json").read_text(encoding="utf-8"))["job_id"] == job_id
    assert page.locator("#downloads a:has-text('Bilingual DOCX')").count() == 1
    assert page.locator("#player-box > *").count() == 0  # a document has no player
    assert _axe_violations(page) == []
    context.close()
