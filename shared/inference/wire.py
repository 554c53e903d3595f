"""The GPU inference service's wire format, one definition for its client and the service itself.

The client is :mod:`shared.adapters.inference_http`, the service ``functions/gpu/app.py``.

- ``POST /v1/transcribe``: body = the FLAC chunk (``audio/flac``); header ``X-Toex-Request`` = ASCII
  JSON ``{"windows": [[start, end], ...] | null, "options": TranscriptionOptions.to_dict()}``.
  Answer: ``{"language", "language_probability", "segments": [Segment.to_dict()], "skipped", "model"}``.
- ``POST /v1/translate``: JSON ``{"texts", "source_language", "target_language"}`` → ``{"texts", "model"}``.
- ``GET /v1/model``: ``{"whisper": {...}, "translation": {...}}`` (each loaded model's manifest summary).
- An error answer: ``{"error": code, "detail": text}``.
Every attempt of one call carries the same ``X-Request-Id``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from shared.domain import Segment, TranscriptionOptions, TranscriptionResult

REQUEST_HEADER = "X-Toex-Request"
REQUEST_ID_HEADER = "X-Request-Id"
TRANSCRIBE_PATH, TRANSLATE_PATH, MODEL_PATH = "/v1/transcribe", "/v1/translate", "/v1/model"
WHISPER, TRANSLATION = "whisper", "translation"  # the roles in the model summary

Window = tuple[float, float]


def _finite(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise ValueError("window bounds must be finite numbers")
    return float(x)


@dataclass(frozen=True)
class TranscribeRequest:
    """What to transcribe in the chunk the body carries: the speech windows (None: all of it)."""

    windows: tuple[Window, ...] | None
    options: TranscriptionOptions

    def to_header(self) -> str:
        return json.dumps({
            "windows": None if self.windows is None else [[float(s), float(e)] for s, e in self.windows],
            "options": self.options.to_dict(),
        }, ensure_ascii=True, separators=(",", ":"))

    @classmethod
    def from_header(cls, raw: str) -> TranscribeRequest:
        """The request from its header; ``ValueError``/``TypeError`` with the reason when malformed,
        including an option this service does not know (a newer client's would be silently dropped)."""
        req = json.loads(raw)
        if not isinstance(req, dict) or set(req) - {"windows", "options"}:
            raise ValueError("expected an object with 'windows' and 'options'")
        opts = req.get("options") or {}
        if not isinstance(opts, dict):
            raise ValueError("'options' must be an object")
        unknown = set(opts) - set(TranscriptionOptions.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
        windows: list[Window] | None = None
        if req.get("windows") is not None:
            windows = []
            for w in req["windows"]:
                if not isinstance(w, list) or len(w) != 2:
                    raise ValueError("each window must be [start, end]")
                start, end = _finite(w[0]), _finite(w[1])
                if not 0.0 <= start < end:
                    raise ValueError("each window needs 0 <= start < end")
                windows.append((start, end))
        return cls(None if windows is None else tuple(windows), TranscriptionOptions.from_dict(opts))


@dataclass(frozen=True)
class TranscribeResponse:
    result: TranscriptionResult
    model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "language": r.language,
            "language_probability": r.language_probability,
            "segments": [s.to_dict() for s in r.segments],
            "skipped": [list(s) for s in r.skipped],
            "model": dict(self.model),
        }

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> TranscribeResponse:
        return cls(TranscriptionResult(
            language=str(body["language"]),
            language_probability=float(body["language_probability"]),
            segments=tuple(Segment.from_dict(s) for s in body["segments"]),
            skipped=tuple((float(s), float(e), str(r)) for s, e, r in body.get("skipped", [])),
        ), dict(body.get("model") or {}))


@dataclass(frozen=True)
class TranslateRequest:
    texts: tuple[str, ...]
    source_language: str
    target_language: str = "en"

    def to_bytes(self) -> bytes:
        return json.dumps({"texts": list(self.texts), "source_language": self.source_language,
                           "target_language": self.target_language}, ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> TranslateRequest:
        """The request from its body; ``ValueError``, ``KeyError`` or ``TypeError`` when malformed."""
        req = json.loads(raw)
        texts, src = req["texts"], req["source_language"]
        tgt = req.get("target_language", "en")
        if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)):
            raise ValueError("'texts' must be a list of strings")
        if not (isinstance(src, str) and isinstance(tgt, str)):
            raise ValueError("languages must be strings")
        return cls(tuple(texts), src, tgt)


@dataclass(frozen=True)
class TranslateResponse:
    texts: tuple[str, ...]
    model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"texts": list(self.texts), "model": dict(self.model)}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> TranslateResponse:
        texts = body["texts"]
        if not isinstance(texts, list):
            raise ValueError("'texts' must be a list")
        return cls(tuple(str(t) for t in texts), dict(body.get("model") or {}))


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}
