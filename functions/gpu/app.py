"""The inference service (Azure Container Apps, GPU): Whisper transcription, MT and speaker embeddings
behind HTTP.

Wire format: :mod:`shared.inference.wire` (``POST /v1/transcribe``, ``POST /v1/translate``,
``POST /v1/speaker-embeddings``, ``GET /v1/model``).
- ``GET /healthz`` (alive), ``GET /readyz`` (503 until every configured model is loaded and verified),
  ``GET /v1/model`` (manifest summary of each loaded model).
Back-pressure: at most ``max_concurrency`` engine calls run and ``max_queue`` wait; beyond that the
answer is 429 with ``Retry-After``. Bodies above ``max_request_bytes`` get 413.
Logs carry request ids, sizes and durations only: never audio, transcript or translation text, nor vectors.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from functions.gpu.audio import AudioTooLong, BadAudio, decode_capped
from functions.gpu.auth import CallerCheck, NotAuthorized
from functions.gpu.config import ServeConfig
from functions.gpu.loader import ModelSlot
from functions.gpu.speaker import open_pinned, speaker_factory, window_problem
from shared.domain import TranscriptionOptions
from shared.domain.audio_format import SAMPLE_RATE
from shared.inference import wire
from shared.inference.package import pin_package

log = logging.getLogger("toex.serve")

MAX_REQUEST_HEADER_CHARS = 12000


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


class Gate:
    """Admission control: ``concurrency`` calls run, ``queue`` more wait, the rest are refused."""

    def __init__(self, concurrency: int, queue: int, retry_after_s: int) -> None:
        self.limit = max(1, concurrency) + max(0, queue)
        self.pending = 0
        self.retry_after_s = retry_after_s
        self._concurrency = max(1, concurrency)
        self._sem: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        if self.pending >= self.limit:
            raise ApiError(429, "busy", "the service is at capacity; retry later",
                           {"Retry-After": str(self.retry_after_s)})
        if self._sem is None:
            self._sem = asyncio.Semaphore(self._concurrency)
        self.pending += 1
        try:
            async with self._sem:
                yield
        finally:
            self.pending -= 1


def _whisper_factory(cfg: ServeConfig) -> Callable[[Path], Any]:
    def build(path: Path) -> Any:
        from shared.inference.whisper import WhisperEngine

        return WhisperEngine(path, providers=cfg.providers, intra_op_threads=cfg.intra_op_threads)

    return build


def _translation_factory(cfg: ServeConfig) -> Callable[[Path], Any]:
    def build(path: Path) -> Any:
        from shared.inference.translation import load_translation_engine  # Bergamot or NLLB/M2M100/Marian

        return load_translation_engine(path, providers=cfg.providers, intra_op_threads=cfg.intra_op_threads)

    return build


def parse_transcribe_request(raw: str | None, max_batch: int) -> tuple[list[tuple[float, float]] | None,
                                                                       TranscriptionOptions]:
    """Windows and options from the ``X-Toex-Request`` header; ApiError 400 when malformed."""
    if raw is None:
        raise ApiError(400, "bad_request", f"missing {wire.REQUEST_HEADER} header")
    if len(raw) > MAX_REQUEST_HEADER_CHARS:
        raise ApiError(431, "header_too_large", f"{wire.REQUEST_HEADER} longer than {MAX_REQUEST_HEADER_CHARS}")
    try:
        req = wire.TranscribeRequest.from_header(raw)
    except (ValueError, TypeError) as e:
        raise ApiError(400, "bad_request", f"invalid {wire.REQUEST_HEADER}: {e}") from None
    if not 1 <= req.options.batch_size <= max_batch:
        raise ApiError(400, "bad_request", f"batch_size must be between 1 and {max_batch}")
    return None if req.windows is None else list(req.windows), req.options


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) more than ``limit`` bytes, declared or streamed."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"request body over {limit} bytes")
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise ApiError(413, "too_large", f"request body over {limit} bytes")
    return bytes(buf)


def create_app(config: ServeConfig | None = None, *, key_resolver: Callable[[str], Any] | None = None) -> FastAPI:
    """The service; ``key_resolver`` (token → signing key) replaces the tenant's JWKS in tests."""
    cfg = config or ServeConfig.from_env()
    callers = CallerCheck(cfg.auth, key_resolver)
    for folder, digest in ((cfg.whisper_dir, cfg.whisper_digest), (cfg.translation_dir, cfg.translation_digest)):
        if folder is not None and digest:
            pin_package(folder, digest)  # a package with another manifest never loads (slot: failed)

    def authorize(request: Request) -> None:
        try:
            callers.check(request.headers.get("authorization"))
        except NotAuthorized as e:
            raise ApiError(401, "unauthorized", str(e), {"WWW-Authenticate": "Bearer"}) from None
    slots: dict[str, ModelSlot] = {}
    if cfg.whisper_dir is not None:
        slots[wire.WHISPER] = ModelSlot(wire.WHISPER, cfg.whisper_dir, _whisper_factory(cfg),
                                     blob_url=cfg.whisper_blob_url, wait_s=cfg.model_wait_s)
    if cfg.translation_dir is not None:
        slots[wire.TRANSLATION] = ModelSlot(wire.TRANSLATION, cfg.translation_dir, _translation_factory(cfg),
                                         blob_url=cfg.translation_blob_url, wait_s=cfg.model_wait_s)
    if cfg.speaker_dir is not None:
        slots[wire.SPEAKER] = ModelSlot(
            wire.SPEAKER, cfg.speaker_dir, speaker_factory(cfg.speaker_digest, cfg.providers, cfg.intra_op_threads),
            blob_url=cfg.speaker_blob_url, wait_s=cfg.model_wait_s,
            verify=lambda path: open_pinned(path, cfg.speaker_digest))
    gates = {role: Gate(cfg.max_concurrency, cfg.max_queue, cfg.retry_after_s) for role in slots}
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not slots:
            log.error("no model configured: set TOEX_MODEL_DIR, TOEX_TRANSLATION_MODEL_DIR and/or "
                      "TOEX_SPEAKER_MODEL_DIR")
        threads = [threading.Thread(target=s.load, args=(stop,), name=f"load-{r}", daemon=True)
                   for r, s in slots.items()]
        for t in threads:
            t.start()
        yield
        stop.set()

    app = FastAPI(title="TOEX inference", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = cfg
    app.state.slots = slots
    app.state.gates = gates

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(wire.error_body(exc.code, exc.detail), status_code=exc.status, headers=exc.headers)

    def ready_slot(role: str) -> ModelSlot:
        slot = slots.get(role)
        if slot is None:
            raise ApiError(404, "not_served", f"this service has no {role} model")
        if not slot.ready:
            raise ApiError(503, "not_ready", f"{role} model {slot.state}",
                           {"Retry-After": str(cfg.retry_after_s)})
        return slot

    def all_ready() -> bool:
        return bool(slots) and all(s.ready for s in slots.values())

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        body = {"ready": all_ready(), "models": {r: s.status() for r, s in slots.items()}}
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get(wire.MODEL_PATH)
    async def model(request: Request) -> JSONResponse:
        import onnxruntime as ort

        authorize(request)
        body: dict[str, Any] = {
            role: (slots[role].engine.model_info if role in slots and slots[role].ready else None)
            for role in (wire.WHISPER, wire.TRANSLATION, wire.SPEAKER)
        }
        body["providers"] = list(cfg.providers)
        body["available_providers"] = ort.get_available_providers()
        if not all_ready():
            return JSONResponse(body, status_code=503, headers={"Retry-After": str(cfg.retry_after_s)})
        return JSONResponse(body)

    async def run_logged(request: Request, route: str, work: Callable[[str], Any]) -> Any:
        rid = request.headers.get(wire.REQUEST_ID_HEADER, "")[:64] or uuid.uuid4().hex
        t0 = time.monotonic()
        status = 500
        try:
            result = await work(rid)
            status = 200
            return result
        except ApiError as e:
            status = e.status
            raise
        except Exception as e:
            # Only the exception type and code location: messages may quote input text.
            tb = "".join(traceback.format_tb(e.__traceback__)[-3:])
            log.error("request failed id=%s route=%s error=%s\n%s", rid, route, type(e).__name__, tb)
            raise ApiError(500, "internal", f"internal error ({type(e).__name__}); request id {rid}") from None
        finally:
            log.info("request id=%s route=%s status=%d ms=%.0f", rid, route, status,
                     1000 * (time.monotonic() - t0))

    @app.post(wire.TRANSCRIBE_PATH)
    async def transcribe(request: Request) -> Response:
        async def work(rid: str) -> Response:
            authorize(request)  # before the body is read
            slot = ready_slot(wire.WHISPER)
            windows, options = parse_transcribe_request(request.headers.get(wire.REQUEST_HEADER), cfg.max_batch)
            async with gates[wire.WHISPER].admit():
                body = await read_body(request, cfg.max_request_bytes)
                if not body:
                    raise ApiError(400, "bad_request", "empty body: send the FLAC chunk")

                def run() -> dict[str, Any]:
                    t0 = time.monotonic()
                    try:  # streamed: decoding stops at max_audio_s, whatever the body expands to
                        audio = decode_capped(body, cfg.max_audio_s)
                    except AudioTooLong:
                        raise ApiError(413, "too_long", f"audio longer than {cfg.max_audio_s:.0f} s") from None
                    except BadAudio as e:
                        raise ApiError(400, "bad_audio:not_media", str(e)) from None
                    audio_s = len(audio) / SAMPLE_RATE
                    t1 = time.monotonic()
                    try:
                        result = slot.engine.transcribe(audio, windows, options)
                    except ValueError as e:  # options the model cannot honour (unknown language, ...)
                        raise ApiError(400, "bad_request", str(e)[:300]) from None
                    t2 = time.monotonic()
                    log.info("transcribed id=%s bytes=%d audio_s=%.2f windows=%s segments=%d "
                             "decode_ms=%.0f engine_ms=%.0f", rid, len(body), audio_s,
                             "all" if windows is None else len(windows), len(result.segments),
                             1000 * (t1 - t0), 1000 * (t2 - t1))
                    return wire.TranscribeResponse(result, dict(slot.engine.model_info)).to_dict()

                payload = await anyio.to_thread.run_sync(run)
            return JSONResponse(payload)

        result: Response = await run_logged(request, "transcribe", work)
        return result

    @app.post(wire.TRANSLATE_PATH)
    async def translate(request: Request) -> Response:
        async def work(rid: str) -> Response:
            authorize(request)
            slot = ready_slot(wire.TRANSLATION)
            async with gates[wire.TRANSLATION].admit():
                raw = await read_body(request, cfg.max_request_bytes)
                try:
                    req = wire.TranslateRequest.from_bytes(raw)
                    texts, src, tgt = list(req.texts), req.source_language, req.target_language
                except (ValueError, KeyError, TypeError) as e:
                    raise ApiError(400, "bad_request", f"invalid translate request: {type(e).__name__}") from None
                if len(texts) > cfg.max_texts or any(len(t) > cfg.max_text_chars for t in texts):
                    raise ApiError(413, "too_large",
                                   f"at most {cfg.max_texts} texts of {cfg.max_text_chars} characters")

                def run() -> list[str]:
                    t0 = time.monotonic()
                    out = [] if not texts else list(slot.engine.translate(
                        texts, src, tgt, beam_size=cfg.translate_beam_size, max_length=cfg.translate_max_length))
                    log.info("translated id=%s texts=%d chars=%d src=%s tgt=%s engine_ms=%.0f", rid, len(texts),
                             sum(map(len, texts)), src[:8], tgt[:8], 1000 * (time.monotonic() - t0))
                    return out

                out = await anyio.to_thread.run_sync(run)
            return JSONResponse(wire.TranslateResponse(tuple(out), dict(slot.engine.model_info)).to_dict())

        result: Response = await run_logged(request, "translate", work)
        return result

    @app.post(wire.SPEAKER_PATH)
    async def speaker_embeddings(request: Request) -> Response:
        async def work(rid: str) -> Response:
            authorize(request)  # before the body is read
            slot = ready_slot(wire.SPEAKER)
            async with gates[wire.SPEAKER].admit():
                raw = await read_body(request, cfg.max_request_bytes)
                try:
                    req = wire.SpeakerRequest.from_bytes(raw)
                except (ValueError, TypeError) as e:  # the reason names the field, never quotes the audio
                    raise ApiError(400, "bad_request", f"invalid speaker-embeddings request: {str(e)[:200]}") from None
                if len(req.windows) > cfg.max_speaker_windows:
                    raise ApiError(413, "too_large", f"at most {cfg.max_speaker_windows} windows")

                def run() -> dict[str, Any]:
                    t0 = time.monotonic()
                    try:
                        audio = decode_capped(req.audio_flac, cfg.max_audio_s)
                    except AudioTooLong:
                        raise ApiError(413, "too_long", f"audio longer than {cfg.max_audio_s:.0f} s") from None
                    except BadAudio as e:
                        raise ApiError(400, "bad_audio:not_media", str(e)) from None
                    problem = window_problem(req.windows, len(audio))
                    if problem:
                        raise ApiError(400, "bad_request", problem)
                    t1 = time.monotonic()
                    vectors = slot.engine.embed_windows(audio, req.windows)
                    log.info("embedded id=%s bytes=%d audio_s=%.2f windows=%d decode_ms=%.0f engine_ms=%.0f", rid,
                             len(raw), len(audio) / SAMPLE_RATE, len(req.windows), 1000 * (t1 - t0),
                             1000 * (time.monotonic() - t1))
                    return wire.SpeakerResponse(vectors, dict(slot.engine.model_info)).to_dict()

                payload = await anyio.to_thread.run_sync(run)
            return JSONResponse(payload)

        result: Response = await run_logged(request, "speaker", work)
        return result

    return app


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


_configure_logging()
app = create_app()
