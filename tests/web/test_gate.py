"""``toex web``'s gate without a browser: Host (DNS rebinding), Origin (cross-site), the per-launch token,
the security headers, signed read links and the upload slots' invariants."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
from pathlib import Path
from typing import Any

from functions.local.webauth import Identity
from tests.web.conftest import Site

STATIC = Path(__file__).resolve().parents[2] / "functions" / "local" / "static"


def call(site: Site, method: str, path: str, *, who: Identity | None = None, host: str | None = None,
         origin: str | None = "self", body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", site.web.port, timeout=30)
    hdrs = {"Host": host or f"127.0.0.1:{site.web.port}", **(headers or {})}
    if origin == "self":
        hdrs["Origin"] = site.base
    elif origin is not None:
        hdrs["Origin"] = origin
    if who is not None:
        hdrs["Cookie"] = f"toex_session={who.session}"
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def test_token_is_exchanged_for_a_strict_cookie_and_nothing_opens_without_it(site: Site) -> None:
    status, headers, _ = call(site, "GET", f"/?token={site.met.token}", origin=None)
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and site.met.token not in cookie
    assert call(site, "GET", "/?token=not-the-token", origin=None)[0] == 401
    assert call(site, "GET", "/api/v1/jobs", origin=None)[0] == 401
    assert call(site, "GET", "/api/v1/jobs", origin=None, headers={"Cookie": "toex_session=guess"})[0] == 401
    assert call(site, "GET", "/api/v1/jobs", who=site.met, origin=None)[0] == 200
    status, _, body = call(site, "GET", "/api/v1/jobs", origin=None,
                           headers={"Authorization": f"Bearer {site.kent.token}"})
    assert status == 200 and json.loads(body)["forceId"] == "kent"


def test_host_and_origin_are_checked_before_anything_else(site: Site) -> None:
    # DNS rebinding: a page on another name that resolves here
    assert call(site, "GET", "/api/v1/jobs", who=site.met, host=f"attacker.example:{site.web.port}")[0] == 421
    assert call(site, "GET", "/", host="127.0.0.1:1")[0] == 421
    # cross-site writes: another origin, no origin at all, or the browser saying so
    upload = json.dumps({"name": "a.wav", "size": 10}).encode()
    assert call(site, "POST", "/api/v1/uploads", who=site.met, origin="http://attacker.example", body=upload)[0] == 403
    assert call(site, "POST", "/api/v1/uploads", who=site.met, origin=None, body=upload)[0] == 403
    assert call(site, "POST", "/api/v1/uploads", who=site.met, body=upload,
                headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert call(site, "GET", "/api/v1/jobs", who=site.met, origin="null")[0] == 403
    assert call(site, "POST", "/api/v1/uploads", who=site.met, body=upload)[0] == 201


def test_every_answer_carries_a_strict_policy_and_the_page_has_no_inline_code(site: Site) -> None:
    for path, who in (("/", None), ("/app.js", None), ("/api/v1/jobs", site.met), ("/api/v1/nothing", site.met)):
        _, headers, _ = call(site, "GET", path, who=who, origin=None)
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script, style or event handler attribute
    assert not re.search(r"<[^>]*\sstyle\s*=", html) and not re.search(r"<[^>]*\son[a-z]+\s*=", html, re.I)
    for name in ("index.html", "app.js", "app.css", "sha256.js", "hash-worker.js", "upload.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), name  # no CDN, nothing fetched from elsewhere
        assert "localStorage" not in text and "sessionStorage" not in text and "innerHTML" not in text


def test_a_client_cannot_claim_another_principal(site: Site) -> None:
    other = base64.b64encode(json.dumps({"claims": [{"typ": "extension_forceId", "val": "kent"}]}).encode()).decode()
    status, _, body = call(site, "GET", "/api/v1/jobs", who=site.met, origin=None,
                           headers={"X-MS-CLIENT-PRINCIPAL": other})
    assert status == 200 and json.loads(body)["forceId"] == "met"


def _slot(site: Site, who: Identity, name: str, size: int) -> dict[str, Any]:
    status, _, body = call(site, "POST", "/api/v1/uploads", who=who, body=json.dumps({"name": name, "size": size})
                           .encode(), headers={"Content-Type": "application/json"})
    assert status == 201, body
    slot: dict[str, Any] = json.loads(body)
    assert slot["blobName"].startswith(f"incoming/{who.force_id}/") and slot["blobName"].endswith("/" + name)
    return slot


def test_upload_slots_belong_to_one_identity_and_refuse_a_wrong_hash(site: Site) -> None:
    for bad in ("../x.wav", "a/b.wav", "notes.exe", ""):
        status, _, _ = call(site, "POST", "/api/v1/uploads", who=site.met,
                            body=json.dumps({"name": bad, "size": 10}).encode())
        assert status == 400, bad
    data = b"RIFF" + bytes(range(256)) * 10
    slot = _slot(site, site.met, "a.wav", len(data))
    url, block = slot["uploadUrl"], base64.b64encode(b"block-000000").decode()
    assert call(site, "PUT", f"{url}?comp=block&blockid={block}", who=site.kent, body=data)[0] == 404
    assert call(site, "GET", f"{url}?comp=blocklist", who=site.kent, origin=None)[0] == 404
    assert call(site, "PUT", f"{url}?comp=block&blockid={block}", who=site.met, body=data + b"x")[0] == 413
    assert call(site, "PUT", f"{url}?comp=block&blockid={block}", who=site.met, body=data)[0] == 201
    listed = json.loads(call(site, "GET", f"{url}?comp=blocklist", who=site.met, origin=None)[2])
    assert listed["uncommittedBlocks"] == [{"name": block, "size": len(data)}]
    commit = json.dumps({"blocks": [block]}).encode()
    wrong = {"x-ms-meta-sha256": hashlib.sha256(b"other").hexdigest()}
    status, _, body = call(site, "PUT", f"{url}?comp=blocklist", who=site.met, body=commit, headers=wrong)
    assert status == 400 and b"SHA-256" in body
    assert not site.web.app.blobs.exists(slot["blobName"])  # nothing was kept


def test_read_links_are_signed_for_one_identity(site: Site) -> None:
    gate = site.web.gate
    link = gate.read_link(site.met, "outputs/met/job-x/a1/a.txt", "a.txt")
    assert call(site, "GET", link, who=site.kent, origin=None)[0] == 403  # issued to Met, not Kent
    assert call(site, "GET", link.replace("fn=a.txt", "fn=a.exe"), who=site.met, origin=None)[0] == 403
    assert call(site, "GET", link, origin=None)[0] == 401
    assert call(site, "GET", link, who=site.met, origin=None)[0] == 404  # valid link, no such blob


def test_byte_ranges() -> None:
    from functions.local.ranges import byte_range

    assert byte_range(None, 100) == (0, 99, 200)
    assert byte_range("bytes=0-9", 100) == (0, 9, 206)
    assert byte_range("bytes=90-", 100) == (90, 99, 206)
    assert byte_range("bytes=-10", 100) == (90, 99, 206)
    assert byte_range("bytes=50-500", 100) == (50, 99, 206)
    assert byte_range("bytes=0-1,5-6", 100) == (0, 99, 200)
    for bad in ("bytes=100-", "bytes=-", "bytes=9-2", "items=0-1"):
        assert byte_range(bad, 100) is None, bad
