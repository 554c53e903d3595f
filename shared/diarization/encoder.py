"""The speaker-embedding port and its in-process adapter, the ONNX speaker encoder.

``SpeakerEmbedder`` is what the per-chunk diarization step needs: the embeddings (unit float32
vectors) of time windows of a chunk's audio, and the model's identity. Two adapters:

* :class:`SpeakerEncoder` (here): the verified package under onnxruntime in this process (local mode,
  and the GPU service itself, with the CUDA provider there);
* ``shared.adapters.inference_speaker.HttpSpeakerEmbedder``: the GPU service (Azure mode), sent the
  chunk's FLAC and the window plan, answering the same vectors.

Window ``(start, end)`` seconds on the chunk map to samples ``audio[round(start*sr):round(end*sr)]``;
each clip is volume-normalised and turned into mel frames before the network. This module imports
numpy and onnxruntime only (the GPU image copies it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

from .features import mel_spectrogram, normalize_volume
from .package import open_speaker_package

Span = tuple[float, float]


@dataclass(frozen=True)
class SpeakerModel:
    """The speaker model's identity, written beside the windows (chunks from two models never mix)."""

    name: str
    sha256: str
    embedding_dim: int


class SpeakerEmbedder(Protocol):
    """The port: embeddings of windows of one chunk's audio."""

    @property
    def model(self) -> SpeakerModel: ...

    def embed_windows(self, audio: np.ndarray, windows: Sequence[Span], *, flac: bytes | None = None,
                      batch_size: int = 32) -> np.ndarray:
        """(len(windows), dim) float32, L2-normalised. `audio`: 16 kHz mono float32; `flac`: the same
        audio as FLAC when the caller has it (an adapter that sends audio elsewhere sends that)."""
        ...


def window_clips(audio: np.ndarray, windows: Sequence[Span]) -> list[np.ndarray]:
    return [audio[round(s * SAMPLE_RATE) : round(e * SAMPLE_RATE)] for s, e in windows]


class SpeakerEncoder:
    """The verified ONNX speaker encoder; `embed` maps 16 kHz clips to unit vectors."""

    def __init__(self, package_dir: Path, threads: int | None = 1,
                 providers: Sequence[str] = ("CPUExecutionProvider",)) -> None:
        import onnxruntime as ort

        self.package = open_speaker_package(package_dir)
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        available = set(ort.get_available_providers())
        chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
        self.session = ort.InferenceSession(self.package.verified_graph(), sess_options=opts, providers=chosen)

    @property
    def model(self) -> SpeakerModel:
        return SpeakerModel(self.package.name, self.package.sha256, self.package.embedding_dim)

    def embed(self, clips: Sequence[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """(len(clips), dim) float32; clips of equal frame count are batched together."""
        mels = [mel_spectrogram(normalize_volume(c)) for c in clips]
        out = np.zeros((len(clips), self.package.embedding_dim), np.float32)
        by_len: dict[int, list[int]] = {}
        for i, m in enumerate(mels):
            by_len.setdefault(m.shape[0], []).append(i)
        for idx in by_len.values():
            for k in range(0, len(idx), batch_size):
                rows = idx[k : k + batch_size]
                out[rows] = self.session.run(["embeddings"], {"mels": np.stack([mels[i] for i in rows])})[0]
        return out

    def embed_windows(self, audio: np.ndarray, windows: Sequence[Span], *, flac: bytes | None = None,
                      batch_size: int = 32) -> np.ndarray:
        return self.embed(window_clips(audio, windows), batch_size)
