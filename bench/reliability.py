"""Issue 10's reliability figures (docs/reliability.md): lost jobs, duplicates, hostile input, killed runs.

    TOEX_CACHE=... python -m bench.reliability [--only duplicates,concurrent,hostile,kills] [--out FILE]

* ``duplicates``: 100 concurrent BlobCreated deliveries of one blob, ``start_new`` failing on the first.
* ``concurrent``: 200 concurrent ``POST /api/v1/jobs`` through the registered HTTP handler, in process, then
  every orchestration run to its end on the local runner (the real Durable replay code). The blob and job
  stores are the local adapters, or Azurite + the Cosmos DB server when they listen (``.ci/services.sh``).
* ``hostile``: a table of hostile requests and files, each with its answer; logs are captured and searched
  for tracebacks and for the evidence marker every file carries.
* ``kills``: SIGKILL of ``toex transcribe`` at five points, then ``toex resume``; transcript.json compared
  byte for byte with a clean run (apart from job_id and created_at). Whisper base int8 (models.fetch) and
  ``TOEX_BENCH_MT``, an en→fr text translation package (e.g. the tests' tiny Marian package).

Prints one JSON document; every figure names the machine load (``os.getloadavg``) it was measured under.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MARKER = b"EVIDENCE-MARKER-7f3a"  # carried by every hostile file; must never reach a log


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _intake(tmp: Path, **settings: Any) -> Any:
    from functions.local.client import RunnerClient
    from functions.local.runner import LocalOrchestrationRunner
    from functions.local.taskhub import TaskHub
    from functions.registry import ACTIVITIES, ORCHESTRATORS
    from shared.services import build_local, set_services
    from tests.functions.helpers import Intake, make_settings

    services = build_local(make_settings(tmp, **settings))
    set_services(services)
    runner = LocalOrchestrationRunner(TaskHub(tmp / "taskhub.db"), ORCHESTRATORS, ACTIVITIES, max_workers=2,
                                      retry_interval_scale=0.001)
    return Intake(services, runner, RunnerClient(runner))


def _wav(seconds: float, freq: float) -> bytes:
    from tests.fixtures import mediagen

    fmt, codec, rate, suffix = mediagen.CONTAINERS["wav"]
    with tempfile.TemporaryDirectory() as d:
        path = mediagen.write_media(Path(d) / f"t{suffix}", mediagen.tone(seconds, freq), fmt=fmt, codec=codec,
                                    rate=rate)
        return path.read_bytes()


# -- duplicates ------------------------------------------------------------------------------------------
def duplicates(tmp: Path) -> dict[str, Any]:
    from functions.lifecycle import decide_and_start

    intake = _intake(tmp / "dup", forces=("met",))
    notice = intake.upload("met/dup/interview.wav", _wav(1.0, 300))
    failed_once = {"n": 0}

    class FirstStartFails(type(intake.client)):  # type: ignore[misc]
        async def start_new(self, *a: Any, **k: Any) -> Any:
            if failed_once["n"] == 0:
                failed_once["n"] += 1
                raise ConnectionError("task hub unavailable")
            return await super().start_new(*a, **k)

    client = FirstStartFails(intake.runner)

    async def deliver() -> str:
        try:
            return (await decide_and_start(client, intake.services, notice)).action
        except ConnectionError:
            return "raised (Event Grid redelivers)"

    async def all_deliveries() -> list[str]:
        first = await deliver()  # the delivery whose start fails
        return [first, *await asyncio.gather(*(deliver() for _ in range(99)))]

    t0 = time.perf_counter()
    answers = asyncio.run(all_deliveries())
    jobs = intake.services.jobs.list_jobs("met")
    ran = [intake.run(j.job_id) for j in jobs]
    final = [intake.services.jobs.get("met", j.job_id) for j in jobs]
    return {"deliveries": len(answers), "answers": dict(Counter(answers)), "jobs": len(jobs),
            "orchestrations_started": len(client.starts), "runtime_status": ran,
            "job_status": [f.status.value for f in final if f], "seconds": round(time.perf_counter() - t0, 2),
            "load": _load()}


# -- 200 concurrent submissions ----------------------------------------------------------------------------
def _over_emulators(intake: Any) -> str:
    """Swap the intake's blob and job stores for Azurite and the Cosmos DB server; their account URL."""
    from dataclasses import replace

    from shared.services import CONTAINERS, set_services
    from tests.fixtures.services import (
        AZURITE_PORT,
        COSMOS_PORT,
        COSMOS_TEST_KEY,
        DEVSTORE_ACCOUNT,
        DEVSTORE_KEY,
        STATE,
        Azurite,
        CosmosServer,
    )

    azurite = Azurite(f"https://127.0.0.1:{AZURITE_PORT}/{DEVSTORE_ACCOUNT}", DEVSTORE_ACCOUNT, DEVSTORE_KEY,
                      STATE / "cert.pem")
    blobs = azurite.blob_store()
    for key in ("incoming", "chunks", "work", "outputs"):
        blobs.ensure_container(str(CONTAINERS[key]))
    svc = intake.services
    svc.settings = replace(svc.settings, blob_account_url=azurite.account_url)
    svc.blobs, svc.jobs = blobs, CosmosServer(f"https://127.0.0.1:{COSMOS_PORT}", COSMOS_TEST_KEY).job_store()
    set_services(svc)
    return azurite.account_url


def concurrent(tmp: Path, n: int = 200) -> dict[str, Any]:
    import uuid

    import function_app
    from tests.functions.helpers import ACCOUNT_URL, http_request, principal_header, user_code

    intake = _intake(tmp / "conc", forces=("met",))
    from tests.fixtures.services import _listening

    emulators = _listening(10000) and _listening(8081)
    account = _over_emulators(intake) if emulators else ACCOUNT_URL
    submit = user_code({f.get_function_name(): f for f in function_app.app.get_functions()}["api_submit_job"])
    batch = f"batch-{uuid.uuid4().hex[:8]}"  # Azurite keeps blobs between runs
    for i in range(n):
        intake.services.blobs.upload(f"incoming/met/{batch}/{i:03d}.wav", _wav(1.0, 200 + i))

    async def one(i: int) -> int:
        req = http_request("POST", "v1/jobs", headers=principal_header("met"),
                           body={"blobUrl": f"{account}/incoming/met/{batch}/{i:03d}.wav"})
        return int((await submit(req=req, client=intake.client)).status_code)

    async def burst() -> list[int]:
        return list(await asyncio.gather(*(one(i) for i in range(n)), *(one(i) for i in range(0, n, 10))))

    t0 = time.perf_counter()
    statuses = asyncio.run(burst())
    t_submit = time.perf_counter() - t0
    jobs = intake.services.jobs.list_jobs("met", limit=n)
    ends = Counter(intake.run(j.job_id) for j in jobs)
    final = Counter((intake.services.jobs.get("met", j.job_id) or j).status.value for j in jobs)
    return {"submissions": len(statuses), "distinct_files": n, "answers": dict(Counter(statuses)),
            "jobs": len(jobs), "orchestrations_started": len(intake.client.starts),
            "orchestrations": dict(ends), "job_status": dict(final), "submit_seconds": round(t_submit, 2),
            "total_seconds": round(time.perf_counter() - t0, 2),
            "stores": "Azurite + @vercel/cosmosdb-server" if emulators else "local adapters (FS + SQLite)",
            "load": _load()}


# -- hostile input -----------------------------------------------------------------------------------------
def _bad_files() -> dict[str, bytes]:
    from tests.fixtures import mediagen

    good = _wav(2.0, 440)
    with tempfile.TemporaryDirectory() as d:
        video = mediagen.video_only(Path(d) / "v.mp4", 2.0).read_bytes()
    return {
        "empty.wav": b"",
        "pdf-renamed.mp4": b"%PDF-1.7\n" + MARKER + b"\n" * 200,
        "random.mp3": MARKER + os.urandom(4000),
        "truncated.wav": good[: len(good) // 3] + MARKER,
        "video-only.mp4": video + MARKER,
        "notes.txt": MARKER,
        "forged-header.wav": good[:44] + MARKER * 50,
    }


def hostile(tmp: Path) -> dict[str, Any]:
    import function_app
    from functions.lifecycle import decide_and_start
    from tests.functions.helpers import ACCOUNT_URL, principal_header, user_code

    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Capture(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    intake = _intake(tmp / "hostile", forces=("met", "kent"), force_sources="metstore=met", max_duration_s=60.0)
    intake.upload("kent/op-x/interview.wav", _wav(1.0, 500) + MARKER)
    submit = user_code({f.get_function_name(): f for f in function_app.app.get_functions()}["api_submit_job"])
    import azure.functions as func

    def post(raw: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
        req = func.HttpRequest("POST", "https://app.example/api/v1/jobs",
                               headers=principal_header("met") if headers is None else headers, body=raw)
        resp = asyncio.run(submit(req=req, client=intake.client))
        body = json.loads(resp.get_body() or b"{}")
        return resp.status_code, body.get("field") or body.get("detail") or body.get("title", "")

    def url(u: str) -> bytes:
        return json.dumps({"blobUrl": u}).encode()

    rows: list[dict[str, Any]] = []
    requests: list[tuple[str, bytes]] = [
        *[(f"path: {p}", url(f"{ACCOUNT_URL}/{p}")) for p in (
            "incoming/met/../kent/op-x/interview.wav", "incoming/met/%2e%2e/kent/op-x/interview.wav",
            "incoming/met%2F..%2Fkent/op-x/interview.wav", "incoming/met/..%5Ckent/op-x/interview.wav",
            "incoming/met//kent/op-x/interview.wav", "incoming/met/../../chunks/job-x/a1/00000.flac",
            "incoming/kent/op-x/interview.wav", "outputs/met/job-x/a1/transcript.json",
            "incoming/met/op-x/interview.wav?sv=2024-01-01&sig=AAAA")],
        *[(f"host: {u}", url(u)) for u in (
            "https://metstore.attacker.example/c/x.wav", "https://metstore.blob.core.windows.net.attacker.example/c/x.wav",
            "https://metstore.blob.core.windows.net:8443/c/x.wav", "https://user@metstore.blob.core.windows.net/c/x.wav",
            "http://metstore.blob.core.windows.net/c/x.wav", "file:///etc/passwd", "javascript:alert(1)")],
        ("body: 1 MiB", b'{"blobUrl": "' + b"a" * 2**20 + b'"}'),
        ("body: not JSON", b"{not json"),
        ("body: 5000-deep nesting", b"[" * 5000 + b"]" * 5000),
        ("body: a list", b"[1, 2]"),
        ("body: options.language a list", json.dumps({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav",
                                                     "options": {"language": ["en"]}}).encode()),
        ("body: options a list", json.dumps({"blobUrl": f"{ACCOUNT_URL}/incoming/met/a.wav",
                                            "options": ["en"]}).encode()),
        ("body: blobUrl a number", b'{"blobUrl": 17}'),
    ]
    for name, raw in requests:
        status, why = post(raw)
        rows.append({"input": name, "answer": status, "reason": why[:90]})
    rows.append({"input": "no principal", "answer": post(url(f"{ACCOUNT_URL}/incoming/met/a.wav"), {})[0],
                 "reason": "Unauthenticated"})
    for name, data in _bad_files().items():
        notice = intake.upload(f"met/bad/{name}", data)
        outcome = asyncio.run(decide_and_start(intake.client, intake.services, notice))
        if outcome.action == "started" and outcome.job:
            intake.run(outcome.job.job_id)
        job = intake.services.jobs.get("met", outcome.job.job_id) if outcome.job else None
        rows.append({"input": f"file: {name}", "answer": f"job {job.status.value}" if job else outcome.action,
                     "reason": job.error.code if job and job.error else ""})
    logging.getLogger().removeHandler(handler)
    text = "\n".join(r.getMessage() + (str(r.exc_info) if r.exc_info else "") for r in records)
    kent_reads = [r for r in rows if r["answer"] in (200, 202)]
    return {"rows": rows, "log_records": len(records), "tracebacks_in_logs": sum(bool(r.exc_info) for r in records)
            + text.count("Traceback"), "evidence_marker_in_logs": text.count(MARKER.decode()),
            "accepted_requests": len(kent_reads), "load": _load()}


# -- killed runs -------------------------------------------------------------------------------------------
POINTS = {  # activity whose scheduling (and not completion) marks the kill point
    "probe": ("probe_media", None), "planning": ("plan_chunks", None),
    "transcription fan-out": ("transcribe_chunk", "transcribe"), "translation": ("translate_batch", None),
    "rendering": ("render_outputs", None),
}


def _history(db: Path) -> list[dict[str, Any]]:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            row = conn.execute("SELECT history FROM instances").fetchone()
    except sqlite3.OperationalError:
        return []
    return json.loads(row[0]) if row else []


def _reached(history: list[dict[str, Any]], name: str, task: str | None) -> tuple[bool, bool]:
    """(scheduled, all of those completed) for activity ``name`` (of ``task``) in ``history``."""
    from azure.durable_functions.models.history import HistoryEventType as Ev

    ids = {e["EventId"] for e in history if e["EventType"] == Ev.TASK_SCHEDULED and e["Name"] == name
           and (task is None or json.loads(e.get("Input") or "{}").get("task", "transcribe") == task)}
    done = {e["TaskScheduledId"] for e in history if e["EventType"] == Ev.TASK_COMPLETED} & ids
    return bool(ids), bool(ids) and done == ids


def _normalised(data: Path) -> bytes:
    """The job's transcript.json as stored (data/blobs/outputs/...), without job_id and created_at."""
    doc = json.loads(next((data / "blobs" / "outputs").rglob("transcript.json")).read_bytes())
    doc.pop("job_id", None)
    doc.pop("created_at", None)
    return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()


def kills(tmp: Path, points: tuple[str, ...] = tuple(POINTS)) -> dict[str, Any]:
    from models.fetch import ensure_default_model, vad_model_path
    from tests.fixtures import mediagen

    model = ensure_default_model("int8")
    # English speech: a text model (TOEX_BENCH_MT, en→fr) gives the run a translation stage
    mt = Path(os.environ["TOEX_BENCH_MT"])
    fmt, codec, rate, suffix = mediagen.CONTAINERS["wav"]
    media = mediagen.write_media(tmp / f"interview{suffix}", mediagen.speech_with_pauses(60.0, [1.5, 3.0]),
                                 fmt=fmt, codec=codec, rate=rate)
    env = {**os.environ, "TOEX_VAD_MODEL": str(vad_model_path()), "TOEX_CHUNK_MINUTES": "0.5",
           "TOEX_INTRA_OP_THREADS": "1", "PYTHONPATH": str(REPO)}
    args = ["transcribe", str(media), "--model", str(model), "--beam-size", "1", "--translate-to", "fr",
            "--translation-model", str(mt), "--workers", "1", "--formats", "json"]

    def base(data: Path) -> list[str]:
        return [sys.executable, "-m", "functions.local", "--data-dir", str(data), "--quiet"]

    t0 = time.perf_counter()
    clean = tmp / "clean"
    done = subprocess.run([*base(clean / "data"), *args, "--out", str(clean / "out")], env=env, cwd=tmp,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"the clean run failed: {done.stderr[-800:]}")
    reference = _normalised(clean / "data")
    results = {"clean_run_seconds": round(time.perf_counter() - t0, 1)}
    for point, (name, task) in ((p, POINTS[p]) for p in points):
        run_dir = tmp / point.replace(" ", "-")
        data = run_dir / "data"
        proc = subprocess.Popen([*base(data), *args, "--out", str(run_dir / "out")], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        state = "ended before the point"
        while proc.poll() is None:
            scheduled, finished = _reached(_history(data / "taskhub.db"), name, task)
            if scheduled:
                state = "while running" if not finished else "just after it completed"
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait()
        resume = subprocess.run([*base(data), "resume", "--model", str(model), "--translation-model", str(mt),
                                 "--workers", "1"],
                                env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            same = _normalised(data) == reference
        except StopIteration:
            same = False
        results[point] = {"killed": state, "resume_rc": resume.returncode, "identical": same}
    results["load"] = _load()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__.split("\n")[0])
    p.add_argument("--only", default="duplicates,concurrent,hostile,kills")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    p.add_argument("--points", default=",".join(POINTS), help="kill points (kills)")
    args = p.parse_args(argv)
    points = tuple(args.points.split(","))
    sections = {"duplicates": duplicates, "concurrent": concurrent, "hostile": hostile,
                "kills": lambda tmp: kills(tmp, points)}
    report: dict[str, Any] = {"machine": f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}"}
    with tempfile.TemporaryDirectory(prefix="toex-reliability-") as tmp:
        for name in args.only.split(","):
            report[name] = sections[name](Path(tmp))
            print(f"{name}: done", file=sys.stderr)
    text = json.dumps(report, indent=1, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
