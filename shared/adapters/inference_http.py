"""HTTP inference: the GPU service (``functions/gpu``) behind the SpeechToText / TextTranslator protocols,
speaking :mod:`shared.inference.wire`.

Retries 429, 5xx and connection failures with exponential back-off (deterministic jitter) and honours
``Retry-After``, within bounded attempts and total time; other 4xx answers are final. Every attempt of
one call carries the same ``X-Request-Id``. Inference is a pure function of its input, so a retry
after a lost response is safe.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from shared.adapters.base import AdapterError
from shared.domain import TranscriptionOptions, TranscriptionResult
from shared.inference import wire

log = logging.getLogger("toex.inference.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class InferenceError(AdapterError):
    """The inference service refused the request or could not be reached within the retry budget."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - now_dt).total_seconds())


def backoff_delay(attempt: int, key: str, base_s: float, cap_s: float) -> float:
    """Exponential back-off with "equal jitter" derived from (key, attempt): repeatable, yet spread out."""
    ceiling = min(cap_s, base_s * (2 ** attempt))
    frac = int.from_bytes(hashlib.sha256(f"{key}:{attempt}".encode()).digest()[:4], "big") / 2**32
    return ceiling / 2 + frac * ceiling / 2


class _HttpClient:
    """Session, auth and the retry loop shared by the two adapters."""

    def __init__(self, base_url: str, timeout_s: float = 600.0, credential: Any = None, *,
                 scope: str | None = None, max_attempts: int = 6, max_total_s: float = 900.0,
                 backoff_base_s: float = 1.0, backoff_cap_s: float = 30.0, connect_timeout_s: float = 10.0,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if credential is not None and not scope:
            raise ValueError("an Entra token scope is needed with a credential (e.g. 'api://<app-id>/.default')")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.credential = credential
        self.scope = scope
        self.max_attempts = max(1, max_attempts)
        self.max_total_s = max_total_s
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.connect_timeout_s = connect_timeout_s
        self.session = session or requests.Session()
        self._sleep = sleep
        self._model_info: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.credential is not None:
            headers["Authorization"] = f"Bearer {self.credential.get_token(self.scope).token}"
        return headers

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        """Send with retries; the final 2xx response, or InferenceError."""
        rid = uuid.uuid4().hex
        url = f"{self.base_url}{path}"
        t0 = time.monotonic()
        last = "no attempt made"
        for attempt in range(self.max_attempts):
            wait: float | None = None
            try:
                resp = self.session.request(method, url, data=data,
                                            headers=self._headers({wire.REQUEST_ID_HEADER: rid, **(headers or {})}),
                                            timeout=(self.connect_timeout_s, self.timeout_s))
            except (requests.ConnectionError, requests.Timeout) as e:
                last = f"{type(e).__name__}"
            else:
                if resp.status_code < 300:
                    return resp
                code, detail = _error_of(resp)
                if resp.status_code not in RETRY_STATUSES:
                    raise InferenceError(f"{method} {path} → {resp.status_code} {code}: {detail}",
                                         resp.status_code, code)
                last = f"HTTP {resp.status_code} {code}"
                wait = parse_retry_after(resp.headers.get("Retry-After"))
            if wait is None:  # a server's Retry-After is obeyed as is, bounded only by the total budget
                wait = backoff_delay(attempt, rid, self.backoff_base_s, self.backoff_cap_s)
            remaining = self.max_total_s - (time.monotonic() - t0)
            if attempt + 1 >= self.max_attempts or wait > remaining:
                break
            log.warning("inference retry id=%s path=%s attempt=%d cause=%s wait_s=%.2f", rid, path,
                        attempt + 1, last, wait)
            self._sleep(wait)
        raise InferenceError(f"{method} {path} failed after {attempt + 1} attempt(s): {last}")

    def model_summary(self) -> dict[str, Any]:
        with self._lock:
            if self._model_info is None:
                self._model_info = self.request("GET", wire.MODEL_PATH).json()
            return self._model_info

    def role_info(self, role: str) -> dict[str, str]:
        """The service's summary of its model for ``role``; InferenceError when it serves none."""
        info = self.model_summary().get(role)
        if not info:
            raise InferenceError(f"{self.base_url} serves no {role} model")
        return dict(info)


def _error_of(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
        return str(body.get("error", "")), str(body.get("detail", ""))[:300]
    except ValueError:
        return "", resp.reason or ""


class HttpSpeechToText(_HttpClient):
    """``SpeechToText`` on the remote Whisper service."""

    @property
    def model_info(self) -> dict[str, str]:
        return self.role_info(wire.WHISPER)

    def transcribe(self, audio_flac: bytes, windows: list[tuple[float, float]] | None,
                   options: TranscriptionOptions) -> TranscriptionResult:
        meta = wire.TranscribeRequest(None if windows is None else tuple(windows), options).to_header()
        resp = self.request("POST", wire.TRANSCRIBE_PATH, data=audio_flac,
                            headers={"Content-Type": "audio/flac", wire.REQUEST_HEADER: meta})
        return wire.TranscribeResponse.from_dict(resp.json()).result


class HttpTranslator(_HttpClient):
    """``TextTranslator`` on the remote translation service."""

    @property
    def model_info(self) -> dict[str, str]:
        return self.role_info(wire.TRANSLATION)

    def supports(self, source_language: str, target_language: str) -> bool:
        """The service checks the pair itself: an unsupported one fails the batch with a 400 and its reason."""
        return True

    def translate(self, texts: list[str], source_language: str, target_language: str = "en") -> list[str]:
        if not texts:
            return []
        payload = wire.TranslateRequest(tuple(texts), source_language, target_language).to_bytes()
        resp = self.request("POST", wire.TRANSLATE_PATH, data=payload,
                            headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            out = wire.TranslateResponse.from_dict(resp.json()).texts
        except ValueError:
            out = ()
        if len(out) != len(texts):
            raise InferenceError("translation service returned a different number of texts")
        return list(out)
