"""One typed settings object, read from the environment (app settings / local.settings.json)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["local", "azure"]

DEFAULT_EXTENSIONS = (
    ".mp4", ".mov", ".mkv", ".avi", ".3gp", ".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".oga",
    ".flac", ".wma", ".amr", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".wmv", ".flv",
)

# documents translated as they are (shared.documents.formats reads each; tests/functions check the list)
DOCUMENT_EXTENSIONS = (
    ".csv", ".docx", ".eml", ".htm", ".html", ".markdown", ".md", ".pdf", ".srt", ".text", ".tsv", ".txt",
    ".vtt", ".xlsx",
)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def cache_root() -> Path:
    """The project's one cache root: ``$TOEX_CACHE``, else the documented default under the home folder.

    Every cache of the project's own (fetched wheels, exported packages, samples, emulator tools and
    state) lives below it, so an empty ``TOEX_CACHE`` proves the cold path.
    """
    return Path(_env("TOEX_CACHE") or Path.home() / ".cache" / "toex").expanduser()


@dataclass(frozen=True)
class Settings:
    """Every setting the app reads. ``local.settings.sample.json`` documents each one."""

    mode: Mode = "local"
    # local mode
    data_dir: Path = field(default_factory=lambda: Path(_env("TOEX_DATA_DIR", "toex-data")).resolve())
    # models
    whisper_model_dir: Path | None = None
    translation_model_dir: Path | None = None
    vad_model_path: Path | None = None
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    intra_op_threads: int | None = None
    # pipeline
    chunk_minutes: float = 5.0
    max_upload_bytes: int = 20 * 1024**3
    max_duration_s: float = 12 * 3600.0
    allowed_extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    document_extensions: tuple[str, ...] = DOCUMENT_EXTENSIONS
    forces: tuple[str, ...] = ()
    force_sources: str = ""  # "<storage account>=<force>,..." for forces' own storage accounts
    storage_suffix: str = "core.windows.net"  # forces' accounts must be https://<account>.blob.<suffix>
    result_link_minutes: int = 60
    # the speakers option a job gets when its submitter gives none ("auto", "N", "LOW-HIGH" or "off");
    # the local hosts (toex transcribe, watch, web) default to "auto"
    default_speakers: str = "off"
    # azure
    blob_account_url: str = ""
    cosmos_endpoint: str = ""
    cosmos_database: str = "toex"
    eventgrid_topic_endpoint: str = ""
    whisper_url: str = ""
    translation_url: str = ""
    speaker_url: str = ""  # the speaker-embedding service; empty: the Whisper service (one GPU app serves both)
    inference_timeout_s: float = 600.0
    inference_audience: str = ""  # Entra application ID URI of the GPU services (token audience)
    # the manifest digest (``toex setup`` prints it) each deployed model must have; empty = not pinned
    whisper_model_digest: str = ""
    translation_model_digest: str = ""
    speaker_model_digest: str = ""
    stuck_queued_minutes: float = 10.0  # the sweep restarts a queued job with no orchestration after this
    stuck_give_up_hours: float = 24.0  # ... and fails it after this

    @property
    def force_source_accounts(self) -> frozenset[str]:
        """The storage accounts named in ``force_sources`` (the only foreign hosts the app reads from)."""
        pairs = (item.split("=", 1) for item in self.force_sources.split(",") if "=" in item)
        return frozenset(account.strip().lower() for account, force in pairs if account.strip() and force.strip())

    @classmethod
    def from_env(cls) -> Settings:
        def path(name: str) -> Path | None:
            v = _env(name)
            return Path(v).expanduser() if v else None

        def csv(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            v = _env(name)
            return tuple(x.strip() for x in v.split(",") if x.strip()) if v else default

        mode = _env("TOEX_MODE", "local")
        if mode not in ("local", "azure"):
            raise ValueError(f"TOEX_MODE must be 'local' or 'azure', not {mode!r}")
        threads = _env("TOEX_INTRA_OP_THREADS")
        return cls(
            mode=mode,  # type: ignore[arg-type]
            data_dir=Path(_env("TOEX_DATA_DIR", "toex-data")).expanduser().resolve(),
            whisper_model_dir=path("TOEX_WHISPER_MODEL"),
            translation_model_dir=path("TOEX_TRANSLATION_MODEL"),
            vad_model_path=path("TOEX_VAD_MODEL"),
            providers=csv("TOEX_PROVIDERS", ("CPUExecutionProvider",)),
            intra_op_threads=int(threads) if threads else None,
            chunk_minutes=float(_env("TOEX_CHUNK_MINUTES", "5")),
            max_upload_bytes=int(_env("TOEX_MAX_UPLOAD_BYTES", str(20 * 1024**3))),
            max_duration_s=float(_env("TOEX_MAX_DURATION_S", str(12 * 3600))),
            allowed_extensions=csv("TOEX_ALLOWED_EXTENSIONS", DEFAULT_EXTENSIONS),
            document_extensions=csv("TOEX_DOCUMENT_EXTENSIONS", DOCUMENT_EXTENSIONS),
            forces=csv("TOEX_FORCES", ()),
            force_sources=_env("TOEX_FORCE_SOURCES"),
            storage_suffix=_env("TOEX_STORAGE_SUFFIX", "core.windows.net"),
            result_link_minutes=int(_env("TOEX_RESULT_LINK_MINUTES", "60")),
            default_speakers=_env("TOEX_DEFAULT_SPEAKERS", "off"),
            blob_account_url=_env("TOEX_BLOB_ACCOUNT_URL"),
            cosmos_endpoint=_env("TOEX_COSMOS_ENDPOINT"),
            cosmos_database=_env("TOEX_COSMOS_DATABASE", "toex"),
            eventgrid_topic_endpoint=_env("TOEX_EVENTGRID_TOPIC_ENDPOINT"),
            whisper_url=_env("TOEX_WHISPER_URL"),
            translation_url=_env("TOEX_TRANSLATION_URL"),
            speaker_url=_env("TOEX_SPEAKER_URL"),
            inference_timeout_s=float(_env("TOEX_INFERENCE_TIMEOUT_S", "600")),
            inference_audience=_env("TOEX_INFERENCE_AUDIENCE"),
            whisper_model_digest=_env("TOEX_WHISPER_MODEL_DIGEST").lower(),
            translation_model_digest=_env("TOEX_TRANSLATION_MODEL_DIGEST").lower(),
            speaker_model_digest=_env("TOEX_SPEAKER_MODEL_DIGEST").lower(),
            stuck_queued_minutes=float(_env("TOEX_STUCK_QUEUED_MINUTES", "10")),
            stuck_give_up_hours=float(_env("TOEX_STUCK_GIVE_UP_HOURS", "24")),
        )
