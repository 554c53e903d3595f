"""The media step over the kinds of recording forces receive: one line per kind, with its outcome.

    python -m bench.media_kinds [--only NAME,...] [--family FAMILY] [--markdown]

Each kind of ``tests/fixtures/mediakinds/`` (phone MP4/MOV with edit lists, cover art and timecode
tracks; 3GP/AMR, WebM, Ogg, MKV, WMA, ADTS, MP3 with lying or missing headers; channel layouts; sample
rates and formats; clock restarts and jumps; hostile headers) is generated, then checked in a fresh
child process (probe → plan's VAD over every track → decode of the track that must carry the speech)
under a 120 s timeout and a 3 GiB address-space limit, so a hang, a crash or an unbounded allocation
shows as such instead of stopping the sweep. PASS means the expected outcome: the speech on the
expected track at the expected time on the container's timeline (within the kind's tolerance), or the
expected error code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from models.fetch import vad_model_path
from tests.fixtures import mediakinds

TIMEOUT_S = 120
MEMORY_LIMIT = 3 << 30
CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[4]), int(sys.argv[4])))
from pathlib import Path
from tests.fixtures import mediakinds
kind = next(k for k in mediakinds.kinds() if k.name == sys.argv[1])
o = mediakinds.check(kind, Path(sys.argv[2]), Path(sys.argv[3]))
print(json.dumps({"ok": o.ok, "detail": o.detail, "code": o.code}))
"""


def run_kind(kind: mediakinds.Kind, path: Path, vad: Path, root: Path) -> tuple[str, str, float]:
    t0 = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, kind.name, str(path), str(vad), str(MEMORY_LIMIT)],
                             capture_output=True, text=True, timeout=TIMEOUT_S, cwd=root)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "HANG", f"no answer in {TIMEOUT_S} s", time.perf_counter() - t0
    elapsed = time.perf_counter() - t0
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1]
        return "CRASH", f"exit {out.returncode}: {tail[:160]}", elapsed
    r = json.loads(lines[-1])
    return ("PASS" if r["ok"] else "FAIL"), r["detail"], elapsed


def expected(kind: mediakinds.Kind) -> str:
    if kind.error:
        return f"media.{kind.error}"
    where = ", ".join(f"T{p.track}@{p.at_s:g}s" for p in kind.speech)
    return f"{kind.tracks or '?'} track(s); speech {where}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.media_kinds", description=__doc__.split("\n")[0])
    p.add_argument("--only", default="")
    p.add_argument("--family", default="")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    vad = vad_model_path()
    root = Path(__file__).resolve().parents[1]
    only = {n for n in args.only.split(",") if n}
    todo = [k for k in mediakinds.kinds()
            if (not only or k.name in only) and (not args.family or k.family == args.family)]  # fmt: skip
    print(f"load average before: {os.getloadavg()}")
    if args.markdown:
        print("| kind | family | expected | outcome | s | detail |\n| --- | --- | --- | --- | --- | --- |")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="toex-media-kinds-") as tmp:
        for kind in todo:
            d = Path(tmp) / kind.name
            d.mkdir()
            try:
                path = kind.make(d)
            except Exception as e:
                print(f"{kind.name:34} SKIP  cannot generate: {type(e).__name__}: {e}")
                continue
            verdict, detail, secs = run_kind(kind, path, vad, root)
            failed += verdict != "PASS"
            if args.markdown:
                print(f"| {kind.name} | {kind.family} | {expected(kind)} | {verdict} | {secs:.1f} | {detail} |")
            else:
                print(f"{kind.name:34} {verdict:5} {secs:5.1f}s  expected {expected(kind)}  got {detail}", flush=True)
    print(f"{len(todo) - failed}/{len(todo)} as expected; load average after: {os.getloadavg()}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
