"""The inference service end to end: the real FastAPI app under uvicorn on 127.0.0.1, the real ONNX
engines on CPU (tiny packages), driven through the real HTTP adapters."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from pathlib import Path

import pytest
import requests

from functions.gpu.app import ApiError, Gate, create_app
from functions.gpu.auth import AuthSettings
from functions.gpu.config import ServeConfig
from shared.adapters.inference_http import HttpSpeechToText, HttpTranslator, InferenceError
from shared.adapters.inference_local import LocalSpeechToText, LocalTranslator
from shared.domain import TranscriptionOptions
from shared.inference.wire import REQUEST_HEADER
from shared.media import encode_flac
from tests.fixtures.mediagen import speech
from tests.fixtures.serve import serve

CPU = ("CPUExecutionProvider",)
OPTIONS = TranscriptionOptions(beam_size=2, best_of=2, batch_size=2)
WINDOWS = [(0.0, 4.5), (5.0, 9.0), (9.2, 12.0)]
MT_TEXTS = ["The witness saw the red car at nine.", "Nobody heard anything."]  # tiny MT package: en → fr


def config(**kw: object) -> ServeConfig:
    base: dict[str, object] = {"providers": CPU, "intra_op_threads": 1, "model_wait_s": 60.0, "retry_after_s": 1,
                               "auth": AuthSettings(mode="none")}
    return ServeConfig(**{**base, **kw})  # type: ignore[arg-type]


def wait_ready(url: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(f"{url}/readyz", timeout=5)
        body = r.json()
        if r.status_code == 200 or time.monotonic() > deadline or \
                any(m["state"] == "failed" for m in body["models"].values()):
            return body
        time.sleep(0.1)


@pytest.fixture(scope="module")
def flac_chunk() -> bytes:
    return encode_flac(speech(12.0))


@pytest.fixture(scope="module")
def whisper_pkg(tiny_whisper_package: Path) -> Path:
    return Path(tiny_whisper_package)


@pytest.fixture(scope="module")
def mt_pkg(tiny_mt_package: Path) -> Path:
    return Path(tiny_mt_package)


@pytest.fixture(scope="module")
def service(whisper_pkg: Path):
    """A whisper-only service (the role is chosen by which model dirs are set)."""
    with serve(create_app(config(whisper_dir=whisper_pkg, max_request_bytes=2_000_000))) as url:
        body = wait_ready(url)
        assert body["ready"], body
        yield url


@pytest.fixture(scope="module")
def full_service(whisper_pkg: Path, mt_pkg: Path):
    """One service with both roles."""
    with serve(create_app(config(whisper_dir=whisper_pkg, translation_dir=mt_pkg))) as url:
        body = wait_ready(url)
        assert body["ready"], body
        yield url


def test_transcribe_over_http_equals_in_process(service: str, whisper_pkg: Path, flac_chunk: bytes) -> None:
    local = LocalSpeechToText(whisper_pkg, CPU, threads=1)
    remote = HttpSpeechToText(service, timeout_s=120)
    expected = local.transcribe(flac_chunk, WINDOWS, OPTIONS)
    got = remote.transcribe(flac_chunk, WINDOWS, OPTIONS)
    assert expected.segments, "the tiny model should decode something on real speech"
    assert json.dumps([s.to_dict() for s in got.segments]) == json.dumps([s.to_dict() for s in expected.segments])
    assert (got.language, got.language_probability) == (expected.language, expected.language_probability)
    assert remote.model_info == local.model_info
    assert set(remote.model_info) >= {"name", "sha256", "precision"}
    # None = the whole chunk, [] = no speech windows: both kept distinct across the wire
    assert remote.transcribe(flac_chunk, [], OPTIONS).segments == ()
    assert remote.transcribe(flac_chunk, None, OPTIONS) == local.transcribe(flac_chunk, None, OPTIONS)


def test_translate_over_http_equals_in_process(full_service: str, mt_pkg: Path) -> None:
    local = LocalTranslator(mt_pkg, CPU, threads=1)
    remote = HttpTranslator(full_service, timeout_s=120)
    expected = local.translate(MT_TEXTS, "en", "fr")
    assert remote.translate(MT_TEXTS, "en", "fr") == expected
    assert remote.translate([], "en", "fr") == []
    assert remote.model_info == local.model_info


def test_model_summary_and_roles(service: str, full_service: str) -> None:
    assert requests.get(f"{service}/healthz", timeout=5).json() == {"status": "alive"}
    body = requests.get(f"{full_service}/v1/model", timeout=5).json()
    assert body["whisper"]["sha256"] and body["translation"]["sha256"]
    assert body["providers"] == list(CPU)
    whisper_only = requests.get(f"{service}/v1/model", timeout=5).json()
    assert whisper_only["whisper"] == body["whisper"] and whisper_only["translation"] is None
    r = requests.post(f"{service}/v1/translate", json={"texts": ["x"], "source_language": "de"}, timeout=5)
    assert r.status_code == 404 and r.json()["error"] == "not_served"
    with pytest.raises(InferenceError, match="serves no translation model"):
        _ = HttpTranslator(service, 30).model_info


def test_bad_requests_are_400_and_not_retried(service: str, flac_chunk: bytes) -> None:
    url = f"{service}/v1/transcribe"
    r = requests.post(url, data=flac_chunk, timeout=30)
    assert r.status_code == 400 and REQUEST_HEADER in r.json()["detail"]
    bad = {REQUEST_HEADER: json.dumps({"windows": None, "options": {"beam_size": 1, "no_such_option": 1}})}
    r = requests.post(url, data=flac_chunk, headers=bad, timeout=30)
    assert r.status_code == 400 and "no_such_option" in r.json()["detail"]
    bad = {REQUEST_HEADER: json.dumps({"windows": [[5.0, 2.0]], "options": {}})}
    assert requests.post(url, data=flac_chunk, headers=bad, timeout=30).status_code == 400
    ok = {REQUEST_HEADER: json.dumps({"windows": None, "options": {}})}
    r = requests.post(url, data=b"this is not audio at all", headers=ok, timeout=30)
    assert r.status_code == 400 and r.json()["error"].startswith("bad_audio")
    with pytest.raises(InferenceError) as ei:
        HttpSpeechToText(service, 30).transcribe(flac_chunk, WINDOWS, TranscriptionOptions(batch_size=999))
    assert ei.value.status == 400


def test_request_too_large_is_413(service: str) -> None:
    big = b"\0" * 2_100_000
    ok = {REQUEST_HEADER: json.dumps({"windows": None, "options": {}})}
    r = requests.post(f"{service}/v1/transcribe", data=big, headers=ok, timeout=30)
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(40):
            yield b"\0" * 64_000

    r = requests.post(f"{service}/v1/transcribe", data=chunks(), headers=ok, timeout=30)
    assert r.status_code == 413
    with pytest.raises(InferenceError) as ei:
        HttpSpeechToText(service, 30).transcribe(big, WINDOWS, OPTIONS)
    assert ei.value.status == 413


def assert_not_logged(texts: list[str], logged: str) -> None:
    for text in texts:
        for word in {w for w in text.split() if len(w) >= 4}:
            assert word not in logged, "transcript or translation text reached the logs"


def test_logs_carry_no_transcript(service: str, flac_chunk: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = HttpSpeechToText(service, 120).transcribe(flac_chunk, WINDOWS, OPTIONS)
    assert result.segments
    assert "route=transcribe status=200" in caplog.text and "transcribed id=" in caplog.text
    assert_not_logged([s.text.strip() for s in result.segments], caplog.text)


def test_logs_carry_no_translation(full_service: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    translated = HttpTranslator(full_service, 120).translate(MT_TEXTS, "en", "fr")
    assert "route=translate status=200" in caplog.text
    assert_not_logged(MT_TEXTS + translated, caplog.text)


def test_readyz_503_until_package_appears_then_200(whisper_pkg: Path, tmp_path: Path) -> None:
    target = tmp_path / "whisper"
    with serve(create_app(config(whisper_dir=target))) as url:
        r = requests.get(f"{url}/readyz", timeout=5)
        assert r.status_code == 503
        assert r.json()["models"]["whisper"]["state"] == "waiting"
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        r = requests.post(f"{url}/v1/transcribe", data=b"x", timeout=5)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        shutil.copytree(whisper_pkg, tmp_path / "staging")
        (tmp_path / "staging").rename(target)  # a mount appearing, atomically
        body = wait_ready(url)
        assert body["ready"], body
        assert body["models"]["whisper"]["model"]["name"]
        assert requests.get(f"{url}/readyz", timeout=5).status_code == 200


def test_tampered_package_never_becomes_ready(whisper_pkg: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "tampered"
    shutil.copytree(whisper_pkg, pkg)
    tok = pkg / "tokenizer.json"
    tok.write_bytes(tok.read_bytes().replace(b'"', b"'", 1))
    with serve(create_app(config(whisper_dir=pkg))) as url:
        body = wait_ready(url, timeout=60)
        r = requests.get(f"{url}/readyz", timeout=5)
        assert r.status_code == 503 and not body["ready"]
        state = body["models"]["whisper"]
        assert state["state"] == "failed"
        assert state["reason"].startswith("integrity:") and "tokenizer.json" in state["reason"]
        assert requests.get(f"{url}/v1/model", timeout=5).status_code == 503


def test_gate_refuses_beyond_capacity_with_retry_after() -> None:
    async def scenario() -> list[int]:
        gate = Gate(concurrency=1, queue=1, retry_after_s=3)
        release = asyncio.Event()
        order: list[int] = []

        async def hold(i: int) -> None:
            async with gate.admit():
                order.append(i)
                await release.wait()

        tasks = [asyncio.create_task(hold(i)) for i in range(2)]
        await asyncio.sleep(0.01)
        assert gate.pending == 2 and order == [0]  # one running, one queued
        with pytest.raises(ApiError) as ei:
            async with gate.admit():
                pass
        assert ei.value.status == 429 and ei.value.headers["Retry-After"] == "3"
        release.set()
        await asyncio.gather(*tasks)
        assert gate.pending == 0
        async with gate.admit():  # capacity is back
            order.append(9)
        return order

    assert asyncio.run(scenario()) == [0, 1, 9]
