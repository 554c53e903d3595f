"""The page's upload path in chromium: streaming SHA-256 speed, and a whole upload through ``toex web``.

    python -m bench.web_upload [--mb 512]

(1) ``Sha256`` of the page (functions/local/static/sha256.js) over 256 MiB generated in the page, 4 MiB
updates, against WebCrypto's one-shot digest of the same bytes (which cannot stream); (2) a file of
``--mb`` MiB (real speech then padding, tests/web/media.py) uploaded through the page: hash, 8 MiB blocks
three at a time, commit (the server copies and hashes it again), timed from the click to "Uploaded".
Prints one JSON line; the load average is part of it, as these figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from functions.local.web import launch_url, local_app, make_server
from functions.local.webauth import Identity
from models.fetch import ensure_default_model, vad_model_path
from shared.settings import Settings
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.media import padded_speech_wav

HASH_JS = """async (mb) => {
  const buf = new Uint8Array(mb << 20);
  for (let i = 0; i < buf.length; i += 4096) buf[i] = (i * 2654435761) >>> 24;
  let t = performance.now();
  const h = new Sha256();
  for (let off = 0; off < buf.length; off += 4 << 20) h.update(buf.subarray(off, off + (4 << 20)));
  const ours = h.hex(), oursS = (performance.now() - t) / 1000;
  t = performance.now();
  const web = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buf)),
                         (b) => b.toString(16).padStart(2, "0")).join("");
  return {ours, web, oursS, webS: (performance.now() - t) / 1000};
}"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=512)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="toex-web-bench-"))
    officer = Identity.parse("met:bench")
    settings = Settings(mode="local", data_dir=tmp / "data", whisper_model_dir=ensure_default_model("int8"),
                        vad_model_path=vad_model_path(), intra_op_threads=1)
    server, web = make_server(local_app(settings, [officer]), [officer], "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    big = padded_speech_wav(tmp / "big.wav", 6, args.mb << 20)
    out: dict[str, object] = {"load_before": os.getloadavg()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(launch_url(web, officer))
        page.wait_for_selector("#who:has-text('Signed in')")
        r = page.evaluate(HASH_JS, 256)
        assert r["ours"] == r["web"], "the streaming SHA-256 disagrees with WebCrypto"
        out["sha256_js_MiB_per_s"] = round(256 / r["oursS"], 1)
        out["sha256_webcrypto_MiB_per_s"] = round(256 / r["webS"], 1)
        page.set_input_files("#files", str(big))
        t = time.perf_counter()
        page.click("#upload-button")
        page.locator("#uploads .note:has-text('Uploaded')").wait_for(timeout=1_800_000)
        seconds = time.perf_counter() - t
        out.update({"upload_MiB": args.mb, "upload_s": round(seconds, 1),
                    "upload_MiB_per_s": round(args.mb / seconds, 1),
                    "10GB_upload_min_at_this_rate": round(10 * 1024 / (args.mb / seconds) / 60, 1)})
        browser.close()
    out["load_after"] = os.getloadavg()
    web.stop()
    server.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
