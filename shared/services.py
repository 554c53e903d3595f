"""The adapters one process uses, chosen once from the settings (local or Azure).

Activities and triggers ask :func:`get_services` for what they need; nothing above this module
knows which mode it runs in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.adapters.base import BlobStore, EventPublisher, JobStore, SpeechToText, TextTranslator
from shared.blob_layout import CHUNKS as CHUNKS  # the container names, re-exported for the intake
from shared.blob_layout import CONTAINERS as CONTAINERS
from shared.blob_layout import INCOMING as INCOMING
from shared.blob_layout import OUTPUTS as OUTPUTS
from shared.blob_layout import WORK as WORK
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.diarization.encoder import SpeakerEmbedder


def _no_speaker_embedder() -> SpeakerEmbedder:
    from shared.adapters.base import AdapterError

    raise AdapterError("these services were composed without speaker embeddings")


@dataclass
class Services:
    settings: Settings
    blobs: BlobStore
    jobs: JobStore
    events: EventPublisher
    _stt_factory: Callable[[], SpeechToText]
    _translator_factory: Callable[[], TextTranslator | None]
    _speaker_factory: Callable[[], SpeakerEmbedder] = field(default=lambda: _no_speaker_embedder())
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stt: SpeechToText | None = None
    _translator: TextTranslator | None = None
    _translator_loaded: bool = False
    _speaker_embedder: SpeakerEmbedder | None = None

    @property
    def stt(self) -> SpeechToText:
        with self._lock:
            if self._stt is None:
                self._stt = self._stt_factory()
            return self._stt

    @property
    def translator(self) -> TextTranslator | None:
        with self._lock:
            if not self._translator_loaded:
                self._translator = self._translator_factory()
                self._translator_loaded = True
            return self._translator

    @property
    def vad_model(self) -> Path:
        if self.settings.vad_model_path:
            return self.settings.vad_model_path
        from shared.assets import vad_model_path

        return vad_model_path()

    @property
    def speaker_embedder(self) -> SpeakerEmbedder:
        """Speaker embeddings (diarized jobs only), built once per process on first use: the in-process
        encoder locally, the GPU service in Azure."""
        with self._lock:
            if self._speaker_embedder is None:
                self._speaker_embedder = self._speaker_factory()
            return self._speaker_embedder


_current: Services | None = None
_current_lock = threading.Lock()


def get_services() -> Services:
    global _current
    with _current_lock:
        if _current is None:
            _current = build_services(Settings.from_env())
        return _current


def set_services(services: Services | None) -> None:
    """Install the services for this process (the local runner and tests do this)."""
    global _current
    with _current_lock:
        _current = services


def build_services(settings: Settings) -> Services:
    return _build_azure(settings) if settings.mode == "azure" else build_local(settings)


def _default_whisper_dir(settings: Settings) -> Path:
    if settings.whisper_model_dir:
        return settings.whisper_model_dir
    from shared.assets import ensure_default_model

    return ensure_default_model()


def translation_packages(settings: Settings) -> list[Path]:
    """Text translation packages, in the order a language pair is looked up.

    ``translation_model_dir`` (setting / ``--translation-model``) wins: one package, or a folder of
    packages. Without it, the packages ``toex setup`` exported (pt→en, en→pt) when present."""
    from shared.inference.package import MANIFEST

    chosen = settings.translation_model_dir
    if chosen is not None:
        if (chosen / MANIFEST).is_file() or not chosen.is_dir():
            return [chosen]
        return sorted(p.parent for p in chosen.glob(f"*/{MANIFEST}"))
    from shared.assets import default_translation_dirs

    return default_translation_dirs()


def _pinned(package_dir: Path, digest: str) -> Path:
    """``package_dir``, pinned to the manifest digest the settings name (none named: not pinned)."""
    if digest:
        from shared.inference.package import pin_package

        pin_package(package_dir, digest)
    return package_dir


def _pinned_set(package_dirs: list[Path], digests: str) -> list[Path]:
    """Each package pinned to its digest among those the settings name (comma-separated; none: not pinned).

    A package whose manifest digest is not named is refused, so only the deployed models load."""
    wanted = {d.strip().lower() for d in digests.split(",") if d.strip()}
    if not wanted:
        return package_dirs
    from shared.hashing import sha256_file
    from shared.inference.package import MANIFEST, PackageIntegrityError

    for package_dir in package_dirs:
        actual = sha256_file(package_dir / MANIFEST)
        if actual not in wanted:
            raise PackageIntegrityError(f"{package_dir.name}: manifest digest is not one the settings pin")
        _pinned(package_dir, actual)
    return package_dirs


def local_speaker_encoder(settings: Settings) -> SpeakerEmbedder:
    """The exported speaker package in this process, refused unless it is the pinned one (when pinned)."""
    from shared.assets import ensure_speaker_model
    from shared.diarization.encoder import SpeakerEncoder
    from shared.inference.package import PackageIntegrityError

    encoder = SpeakerEncoder(ensure_speaker_model())
    digest = settings.speaker_model_digest
    if digest and encoder.model.sha256 != digest:
        raise PackageIntegrityError(f"speaker package {encoder.model.sha256[:12]}... is not the pinned "
                                    f"{digest[:12]}...: refused")
    return encoder


def remote_speaker_embedder(settings: Settings, credential: Any = None, scope: str | None = None) -> SpeakerEmbedder:
    """Azure mode's speaker embeddings: the GPU service at ``speaker_url``, by default the Whisper service's
    URL (the whisper app serves both), with its timeouts and token, pinned to ``speaker_model_digest``."""
    from shared.adapters.inference_speaker import HttpSpeakerEmbedder

    return HttpSpeakerEmbedder(settings.speaker_url or settings.whisper_url, timeout_s=settings.inference_timeout_s,
                               credential=credential, scope=scope, expected_digest=settings.speaker_model_digest)


def build_local(settings: Settings, *, mounts: dict[str, Path] | None = None) -> Services:
    from shared.adapters.inference_local import LocalSpeechToText, LocalTranslator, TranslatorSet
    from shared.adapters.local_blob import FsBlobStore
    from shared.adapters.local_events import JsonlEventPublisher
    from shared.adapters.sqlite_jobs import SqliteJobStore

    data = settings.data_dir
    mt_dirs = translation_packages(settings)
    return Services(
        settings=settings,
        blobs=FsBlobStore(data / "blobs", mounts=mounts),
        jobs=SqliteJobStore(data / "toex.db"),
        events=JsonlEventPublisher(data / "events.jsonl"),
        _stt_factory=lambda: LocalSpeechToText(
            _pinned(_default_whisper_dir(settings), settings.whisper_model_digest), settings.providers,
            settings.intra_op_threads,
        ),
        _translator_factory=lambda: (
            TranslatorSet([LocalTranslator(d, settings.providers, settings.intra_op_threads)
                           for d in _pinned_set(mt_dirs, settings.translation_model_digest)])
            if mt_dirs else None
        ),
        _speaker_factory=lambda: local_speaker_encoder(settings),
    )


def _build_azure(settings: Settings) -> Services:
    from shared.adapters.azure_blob import AzureBlobStore
    from shared.adapters.azure_identity import default_credential
    from shared.adapters.cosmos_jobs import CosmosJobStore
    from shared.adapters.eventgrid import EventGridJobPublisher
    from shared.adapters.inference_http import HttpSpeechToText, HttpTranslator

    cred = default_credential()
    # the GPU services take an Entra token for their app registration (functions/gpu/auth.py)
    audience = settings.inference_audience.rstrip("/")
    caller, scope = (cred, f"{audience}/.default") if audience else (None, None)
    return Services(
        settings=settings,
        blobs=AzureBlobStore(settings.blob_account_url, cred, storage_suffix=settings.storage_suffix,
                             external_accounts=settings.force_source_accounts),
        jobs=CosmosJobStore(settings.cosmos_endpoint, cred, settings.cosmos_database),
        events=EventGridJobPublisher(settings.eventgrid_topic_endpoint, cred),
        _stt_factory=lambda: HttpSpeechToText(settings.whisper_url, timeout_s=settings.inference_timeout_s,
                                              credential=caller, scope=scope),
        _translator_factory=lambda: (
            HttpTranslator(settings.translation_url, timeout_s=settings.inference_timeout_s,
                           credential=caller, scope=scope)
            if settings.translation_url
            else None
        ),
        _speaker_factory=lambda: remote_speaker_embedder(settings, caller, scope),
    )
