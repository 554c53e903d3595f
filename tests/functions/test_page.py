"""The officer's page as the Function App serves it in Azure (functions/azure/page.py)."""

from __future__ import annotations

import json
from typing import Any

from functions.azure import page
from shared.settings import Settings

SETTINGS = Settings(mode="azure", blob_account_url="https://stevabc.blob.core.windows.net")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ENV = {"TOEX_PAGE_TENANT_ID": TENANT, "TOEX_PAGE_CLIENT_ID": "c1", "TOEX_PAGE_API_SCOPE": "api://c1/Jobs.ReadWrite"}


def test_the_page_files_are_served_with_a_csp_naming_only_the_evidence_account_and_sign_in() -> None:
    index = page.serve("", SETTINGS, ENV)
    assert index.status_code == 200 and b"<!doctype html>" in index.get_body().lower()
    assert index.headers["Content-Type"].startswith("text/html") and index.headers["Cache-Control"] == "no-cache"
    csp = index.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["connect-src"] == ("'self' https://stevabc.blob.core.windows.net "
                                         f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    assert directives["media-src"] == "'self' https://stevabc.blob.core.windows.net"
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    unset = dict(d.strip().split(" ", 1) for d in page.serve("", SETTINGS, {}).headers["Content-Security-Policy"]
                 .split(";"))
    assert unset["connect-src"] == "'self' https://stevabc.blob.core.windows.net"  # no sign-in configured
    js = page.serve("upload.js", SETTINGS)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert js.get_body() == (page.STATIC / "upload.js").read_bytes()


def test_the_sign_in_config_comes_from_the_app_settings() -> None:
    answer = page.serve("config.json", SETTINGS, ENV)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.get_body()) == {"authority": "https://login.microsoftonline.com", "tenant": TENANT,
                                             "clientId": "c1", "scope": "api://c1/Jobs.ReadWrite"}
    assert json.loads(page.serve("config.json", SETTINGS, {}).get_body())["tenant"] == ""  # toex web: none


def test_only_the_page_folder_files_are_answered() -> None:
    for path in ("../web.py", "..%2Fweb.py", "/etc/passwd", "nope.js", "static/app.js", ".", ""):
        answer: Any = page.serve(path, SETTINGS)
        assert answer.status_code == (200 if path == "" else 404), path
    assert set(page.FILES) >= {"index.html", "app.js", "upload.js", "sha256.js", "hash-worker.js", "app.css"}
    assert all(p.parent == page.STATIC for p in page.FILES.values())


def test_the_page_route_is_registered(app_functions: dict[str, Any]) -> None:
    bindings = {b["type"]: b for b in (json.loads(raw) for raw in app_functions["page"].get_raw_bindings())}
    assert bindings["httpTrigger"]["route"] == "page/{*path}" and bindings["httpTrigger"]["methods"] == ["GET"]
    assert bindings["httpTrigger"]["authLevel"] == "FUNCTION"  # the gateway adds the key
