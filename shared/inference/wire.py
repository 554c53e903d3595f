"""The GPU inference service's wire format, one definition for its client and the service itself.

The client is :mod:`shared.adapters.inference_http`, the service ``functions/gpu/app.py``.

- ``POST /v1/transcribe``: body = the FLAC chunk (``audio/flac``); header ``X-Toex-Request`` = ASCII
  JSON ``{"windows": [[start, end], ...] | null, "options": TranscriptionOptions.to_dict()}``.
  Answer: ``{"language", "language_probability", "segments": [Segment.to_dict()], "skipped", "model"}``.
- ``POST /v1/translate``: JSON ``{"texts", "source_language", "target_language"}`` → ``{"texts", "model"}``.
- ``POST /v1/speaker-embeddings``: JSON ``{"windows": [[start, end], ...], "audio_flac": base64}``: the
  worker's window plan (seconds on the chunk; a 5-minute chunk has ~400 windows, too many for a header)
  and the FLAC chunk the transcribe request sends. Answer:
  ``{"dim", "count", "embeddings": base64 of little-endian float32 (count, dim), "model"}``: vectors only,
  never text.
- ``GET /v1/model``: ``{"whisper": {...}, "translation": {...}, "speaker": {...}}`` (each loaded model's
  manifest summary).
- An error answer: ``{"error": code, "detail": text}``.
Every attempt of one call carries the same ``X-Request-Id``.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared.domain import Segment, TranscriptionOptions, TranscriptionResult

REQUEST_HEADER = "X-Toex-Request"
REQUEST_ID_HEADER = "X-Request-Id"
TRANSCRIBE_PATH, TRANSLATE_PATH, MODEL_PATH = "/v1/transcribe", "/v1/translate", "/v1/model"
SPEAKER_PATH = "/v1/speaker-embeddings"
WHISPER, TRANSLATION, SPEAKER = "whisper", "translation", "speaker"  # the roles in the model summary

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
        windows = None if req.get("windows") is None else _windows(req["windows"])
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


def _windows(raw: Any) -> list[Window]:
    if not isinstance(raw, list):
        raise ValueError("'windows' must be a list")
    windows = []
    for w in raw:
        if not isinstance(w, list) or len(w) != 2:
            raise ValueError("each window must be [start, end]")
        start, end = _finite(w[0]), _finite(w[1])
        if not 0.0 <= start < end:
            raise ValueError("each window needs 0 <= start < end")
        windows.append((start, end))
    return windows


@dataclass(frozen=True)
class SpeakerRequest:
    """The windows (at least one) of the FLAC chunk to embed."""

    windows: tuple[Window, ...]
    audio_flac: bytes

    def to_bytes(self) -> bytes:
        return json.dumps({"windows": [[float(s), float(e)] for s, e in self.windows],
                           "audio_flac": base64.b64encode(self.audio_flac).decode("ascii")},
                          separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> SpeakerRequest:
        """``ValueError``/``TypeError`` with the reason when malformed (base64 errors are ValueErrors)."""
        req = json.loads(raw)
        if not isinstance(req, dict) or set(req) != {"windows", "audio_flac"}:
            raise ValueError("expected an object with 'windows' and 'audio_flac'")
        windows = _windows(req["windows"])
        if not windows:
            raise ValueError("no window to embed")
        if not isinstance(req["audio_flac"], str):
            raise ValueError("'audio_flac' must be base64 text")
        return cls(tuple(windows), base64.b64decode(req["audio_flac"], validate=True))


@dataclass(frozen=True)
class SpeakerResponse:
    embeddings: np.ndarray  # (count, dim) float32
    model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        vec = np.ascontiguousarray(self.embeddings, dtype="<f4")
        return {"dim": int(vec.shape[1]), "count": int(vec.shape[0]),
                "embeddings": base64.b64encode(vec.tobytes()).decode("ascii"), "model": dict(self.model)}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> SpeakerResponse:
        dim, count = int(body["dim"]), int(body["count"])
        raw = base64.b64decode(body["embeddings"], validate=True)
        if dim <= 0 or count < 0 or len(raw) != 4 * dim * count:
            raise ValueError("embeddings do not match their declared shape")
        vec = np.frombuffer(raw, dtype="<f4").reshape(count, dim).astype(np.float32)
        return cls(vec, dict(body.get("model") or {}))


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}
