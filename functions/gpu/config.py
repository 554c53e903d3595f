"""Settings of the inference service, read from the environment of the container."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from functions.gpu.auth import AuthSettings

DEFAULT_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _path(name: str) -> Path | None:
    v = _env(name)
    return Path(v).expanduser() if v else None


@dataclass(frozen=True)
class ServeConfig:
    """One service serves Whisper, translation, speaker embeddings, or several: a role is on when its
    model dir is set.

    With a ``*_blob_url`` the package is downloaded there at start (managed identity) and then
    verified like a mounted one.
    """

    whisper_dir: Path | None = None
    translation_dir: Path | None = None
    whisper_blob_url: str = ""
    translation_blob_url: str = ""
    speaker_dir: Path | None = None
    speaker_blob_url: str = ""
    providers: tuple[str, ...] = DEFAULT_PROVIDERS
    intra_op_threads: int | None = None
    max_concurrency: int = 1  # engine calls running at once
    max_queue: int = 8  # requests waiting for the engine beyond those; more get 429
    max_batch: int = 16  # largest options.batch_size accepted
    max_request_bytes: int = 64 * 1024**2
    max_audio_s: float = 1800.0
    max_texts: int = 512
    max_text_chars: int = 4000
    retry_after_s: int = 2
    model_wait_s: float = 600.0  # how long to wait for a mounted package to appear
    translate_beam_size: int = 4
    translate_max_length: int = 256
    whisper_digest: str = ""  # the manifest digest each package must have (TOEX_MODEL_DIGEST ...); "" = unpinned
    translation_digest: str = ""
    speaker_digest: str = ""
    max_speaker_windows: int = 20000  # windows in one speaker-embeddings request (a 30-minute chunk has ~2400)
    auth: AuthSettings = field(default_factory=AuthSettings)  # who may call (serve/auth.py); default: nobody

    @classmethod
    def from_env(cls) -> ServeConfig:
        providers = tuple(p.strip() for p in _env("TOEX_PROVIDERS").split(",") if p.strip())
        threads = _env("TOEX_INTRA_OP_THREADS")
        whisper_blob = _env("TOEX_MODEL_BLOB_URL")
        translation_blob = _env("TOEX_TRANSLATION_MODEL_BLOB_URL")
        whisper_dir = _path("TOEX_MODEL_DIR")
        translation_dir = _path("TOEX_TRANSLATION_MODEL_DIR")
        speaker_blob = _env("TOEX_SPEAKER_MODEL_BLOB_URL")
        speaker_dir = _path("TOEX_SPEAKER_MODEL_DIR")
        if speaker_blob and speaker_dir is None:
            speaker_dir = Path("/tmp/toex-models/speaker")
        if whisper_blob and whisper_dir is None:
            whisper_dir = Path("/tmp/toex-models/whisper")
        if translation_blob and translation_dir is None:
            translation_dir = Path("/tmp/toex-models/translation")
        return cls(
            auth=auth_from_env(),
            whisper_digest=_env("TOEX_MODEL_DIGEST").lower(),
            translation_digest=_env("TOEX_TRANSLATION_MODEL_DIGEST").lower(),
            whisper_dir=whisper_dir,
            translation_dir=translation_dir,
            whisper_blob_url=whisper_blob,
            translation_blob_url=translation_blob,
            speaker_dir=speaker_dir,
            speaker_blob_url=speaker_blob,
            speaker_digest=_env("TOEX_SPEAKER_MODEL_DIGEST").lower(),
            max_speaker_windows=int(_env("TOEX_MAX_SPEAKER_WINDOWS", "20000")),
            providers=providers or DEFAULT_PROVIDERS,
            intra_op_threads=int(threads) if threads else None,
            max_concurrency=int(_env("TOEX_MAX_CONCURRENCY", "1")),
            max_queue=int(_env("TOEX_MAX_QUEUE", "8")),
            max_batch=int(_env("TOEX_MAX_BATCH", "16")),
            max_request_bytes=int(_env("TOEX_MAX_REQUEST_BYTES", str(64 * 1024**2))),
            max_audio_s=float(_env("TOEX_MAX_AUDIO_S", "1800")),
            max_texts=int(_env("TOEX_MAX_TEXTS", "512")),
            max_text_chars=int(_env("TOEX_MAX_TEXT_CHARS", "4000")),
            retry_after_s=int(_env("TOEX_RETRY_AFTER_S", "2")),
            model_wait_s=float(_env("TOEX_MODEL_WAIT_S", "600")),
            translate_beam_size=int(_env("TOEX_TRANSLATE_BEAM_SIZE", "4")),
            translate_max_length=int(_env("TOEX_TRANSLATE_MAX_LENGTH", "256")),
        )


def auth_from_env() -> AuthSettings:
    """``TOEX_SERVE_AUTH`` (entra | secret | none; unset: entra when an audience is set, secret when a
    secret file is, else deny), ``TOEX_SERVE_TENANT_ID``, ``TOEX_SERVE_AUDIENCE`` and
    ``TOEX_SERVE_ALLOWED_CALLERS`` (comma-separated), ``TOEX_SERVE_SECRET_FILE``."""
    audiences = tuple(a.strip() for a in _env("TOEX_SERVE_AUDIENCE").split(",") if a.strip())
    secret_file = _path("TOEX_SERVE_SECRET_FILE")
    mode = _env("TOEX_SERVE_AUTH") or ("entra" if audiences else "secret" if secret_file else "deny")
    return AuthSettings(
        mode=mode,
        tenant_id=_env("TOEX_SERVE_TENANT_ID"),
        audiences=audiences,
        allowed_callers=tuple(c.strip() for c in _env("TOEX_SERVE_ALLOWED_CALLERS").split(",") if c.strip()),
        secret=secret_file.read_text().strip() if secret_file and mode == "secret" else "",
    )
