"""In-process inference: Whisper and translation under ONNX Runtime in this process (local mode).

Each adapter loads its engine once, on first use, under a lock; loading verifies the package against
its manifest, so a tampered package fails here rather than producing an unauditable transcript.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.domain import TranscriptionOptions, TranscriptionResult

if TYPE_CHECKING:
    from shared.inference.translation import TranslationEngine
    from shared.inference.whisper import WhisperEngine

DEFAULT_PROVIDERS = ("CPUExecutionProvider",)


class _Lazy:
    """Builds an engine once, thread-safely, on first access."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._value: Any = None

    def get(self) -> Any:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
        return self._value

    @property
    def loaded(self) -> bool:
        return self._value is not None


class _InProcess:
    """An engine from a verified package, loaded once on first use (shared by both adapters)."""

    def __init__(self, package_dir: Path, providers: Sequence[str] = DEFAULT_PROVIDERS,
                 threads: int | None = None) -> None:
        self.package_dir = Path(package_dir)
        self.providers = tuple(providers)
        self.threads = threads
        self._engine = _Lazy(self._load)

    def _load(self) -> Any:
        raise NotImplementedError

    @property
    def loaded(self) -> bool:
        return self._engine.loaded

    @property
    def model_info(self) -> dict[str, str]:
        return dict(self._engine.get().model_info)


class LocalSpeechToText(_InProcess):
    """``SpeechToText`` backed by an in-process ``WhisperEngine``."""

    def _load(self) -> WhisperEngine:
        from shared.inference.whisper import WhisperEngine

        return WhisperEngine(self.package_dir, providers=self.providers, intra_op_threads=self.threads)

    @property
    def engine(self) -> WhisperEngine:
        engine: WhisperEngine = self._engine.get()
        return engine

    def transcribe(self, audio_flac: bytes, windows: list[tuple[float, float]] | None,
                   options: TranscriptionOptions) -> TranscriptionResult:
        """Decode the FLAC chunk to 16 kHz mono and transcribe ``windows`` (seconds, chunk-relative)."""
        from shared.media import load_audio

        audio = load_audio(audio_flac)
        return self.engine.transcribe(audio, windows, options)


class LocalTranslator(_InProcess):
    """``TextTranslator`` backed by an in-process ``TranslationEngine``."""

    def __init__(self, package_dir: Path, providers: Sequence[str] = DEFAULT_PROVIDERS,
                 threads: int | None = None, *, beam_size: int = 4, max_length: int = 256) -> None:
        super().__init__(package_dir, providers, threads)
        self.beam_size = beam_size
        self.max_length = max_length

    def _load(self) -> TranslationEngine:
        from shared.inference.translation import TranslationEngine

        return TranslationEngine(self.package_dir, providers=self.providers, intra_op_threads=self.threads)

    @property
    def engine(self) -> TranslationEngine:
        engine: TranslationEngine = self._engine.get()
        return engine

    def supports(self, source_language: str, target_language: str) -> bool:
        return bool(self.engine.supports(source_language, target_language))

    def translate(self, texts: list[str], source_language: str, target_language: str = "en") -> list[str]:
        if not texts:
            return []
        return list(self.engine.translate(list(texts), source_language, target_language,
                                          beam_size=self.beam_size, max_length=self.max_length))
