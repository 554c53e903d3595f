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
    from shared.inference.bergamot import BergamotEngine
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
    """``TextTranslator`` backed by an in-process ``TranslationEngine`` or ``BergamotEngine``.

    ``beam_size`` None: the package's own setting (Bergamot models: greedy, as they were distilled
    for; NLLB / M2M100 / Marian: beam 4)."""

    def __init__(self, package_dir: Path, providers: Sequence[str] = DEFAULT_PROVIDERS,
                 threads: int | None = None, *, beam_size: int | None = None, max_length: int = 256) -> None:
        super().__init__(package_dir, providers, threads)
        self.beam_size = beam_size
        self.max_length = max_length

    def _load(self) -> TranslationEngine | BergamotEngine:
        from shared.inference.translation import load_translation_engine

        return load_translation_engine(self.package_dir, providers=self.providers, intra_op_threads=self.threads)

    @property
    def engine(self) -> TranslationEngine | BergamotEngine:
        engine: TranslationEngine | BergamotEngine = self._engine.get()
        return engine

    def supports(self, source_language: str, target_language: str) -> bool:
        """A Bergamot package's fixed pair is read from its manifest without loading the model."""
        if not self.loaded:
            from shared.inference.package import open_package

            pkg = open_package(self.package_dir, verify=False)
            if pkg.architecture == "bergamot":
                from shared.inference.bergamot import pair_supported

                return pair_supported(pkg.languages, source_language, target_language)
        return bool(self.engine.supports(source_language, target_language))

    def translate(self, texts: list[str], source_language: str, target_language: str = "en") -> list[str]:
        if not texts:
            return []
        kwargs: dict[str, Any] = {"max_length": self.max_length}
        if self.beam_size is not None:
            kwargs["beam_size"] = self.beam_size
        return list(self.engine.translate(list(texts), source_language, target_language, **kwargs))


class TranslatorSet:
    """``TextTranslator`` over several packages: a language pair goes to the first package that has it."""

    def __init__(self, translators: Sequence[LocalTranslator]) -> None:
        if not translators:
            raise ValueError("a translator set needs at least one package")
        self.translators = list(translators)

    def pick(self, source_language: str, target_language: str) -> LocalTranslator | None:
        return next((t for t in self.translators if t.supports(source_language, target_language)), None)

    def supports(self, source_language: str, target_language: str) -> bool:
        return self.pick(source_language, target_language) is not None

    def model_for(self, source_language: str, target_language: str) -> dict[str, str]:
        """The model that translates this pair (what the output records)."""
        chosen = self.pick(source_language, target_language)
        if chosen is None:
            raise ValueError(f"no package translates {source_language} into {target_language}")
        return chosen.model_info

    @property
    def model_info(self) -> dict[str, str]:
        """The single package's model; with several, ask :meth:`model_for` with the pair."""
        if len(self.translators) == 1:
            return self.translators[0].model_info
        infos = [t.model_info for t in self.translators]
        return {"name": " | ".join(i["name"] for i in infos), "sha256": " | ".join(i["sha256"] for i in infos),
                "precision": " | ".join(i["precision"] for i in infos)}

    def translate(self, texts: list[str], source_language: str, target_language: str = "en") -> list[str]:
        chosen = self.pick(source_language, target_language)
        if chosen is None:
            raise ValueError(f"no package translates {source_language} into {target_language}")
        return chosen.translate(texts, source_language, target_language)
