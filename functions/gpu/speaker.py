"""The speaker-embedding role of the service: the Resemblyzer ONNX package, pinned like Whisper's.

``TOEX_SPEAKER_MODEL_DIR`` (mounted, or downloaded from ``TOEX_SPEAKER_MODEL_BLOB_URL``) holds the
package; ``TOEX_SPEAKER_MODEL_DIGEST`` is the SHA-256 of its model.json: any other manifest is refused
when it is downloaded and when it loads (the slot goes ``failed``, ``/readyz`` stays 503). The engine
is the in-process adapter itself (``shared.diarization.encoder.SpeakerEncoder``), on the CUDA provider
when the image has it, else the CPU, so the service's vectors are the local mode's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shared.diarization.encoder import Span, SpeakerEncoder
from shared.diarization.features import N_FFT
from shared.diarization.package import PackageIntegrityError, SpeakerPackage, open_speaker_package
from shared.domain.audio_format import SAMPLE_RATE


def open_pinned(path: Path, digest: str) -> SpeakerPackage:
    """The verified package at ``path``, refused unless its manifest digest is ``digest`` (when set)."""
    package = open_speaker_package(path)
    if digest and package.sha256 != digest:
        raise PackageIntegrityError(f"speaker package has digest {package.sha256[:12]}..., "
                                    f"not the deployed {digest[:12]}...: refused")
    return package


class SpeakerEngine:
    """What a :class:`functions.gpu.loader.ModelSlot` holds for the speaker role."""

    def __init__(self, path: Path, digest: str, providers: Sequence[str], intra_op_threads: int | None) -> None:
        open_pinned(path, digest)
        self.encoder = SpeakerEncoder(path, threads=intra_op_threads, providers=providers)
        self.providers = tuple(self.encoder.session.get_providers())
        p = self.encoder.package
        self.model_info: dict[str, Any] = {
            "name": p.name, "sha256": p.sha256, "embedding_dim": p.embedding_dim, "task": "speaker-embedding",
            "precision": str(p.manifest.get("precision", "")), "architecture": str(p.manifest.get("architecture", "")),
        }

    def embed_windows(self, audio: np.ndarray, windows: Sequence[Span]) -> np.ndarray:
        return self.encoder.embed_windows(audio, windows)


def window_problem(windows: Sequence[Span], n_samples: int) -> str | None:
    """Why these windows cannot be embedded from ``n_samples`` of audio, or None."""
    for i, (s, e) in enumerate(windows):
        first, last = round(s * SAMPLE_RATE), round(e * SAMPLE_RATE)
        if last > n_samples:
            return f"window {i} ends at {e:.3f} s, after the audio ({n_samples / SAMPLE_RATE:.3f} s)"
        if last - first < N_FFT:
            return f"window {i} is shorter than {N_FFT / SAMPLE_RATE:.3f} s"
    return None


def speaker_factory(digest: str, providers: Sequence[str], intra_op_threads: int | None) -> Callable[[Path], Any]:
    return lambda path: SpeakerEngine(path, digest, providers, intra_op_threads)
