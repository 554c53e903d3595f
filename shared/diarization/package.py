"""The speaker-encoder ONNX package: open it and verify every file against its manifest.

Same format as the Whisper and translation packages (``shared.inference.package``: model.json,
"toex-onnx-package/1", SHA-256 of every file, identity = SHA-256 of the model.json bytes), with task
"speaker-embedding" and one graph, ``speaker_encoder.onnx``: input ``mels`` (batch, frames, 40)
float32 mel power frames (``shared.diarization.features``), output ``embeddings`` (batch, dim),
L2-normalised. A package whose files do not match is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.inference.package import FORMAT, PackageIntegrityError, read_manifest, verify_files

TASK = "speaker-embedding"
GRAPH = "speaker_encoder.onnx"
REQUIRED = ("format", "name", "task", "architecture", "precision", "files", "embedding_dim", "frontend", "parity")

__all__ = ["GRAPH", "TASK", "PackageIntegrityError", "SpeakerPackage", "open_speaker_package"]


@dataclass(frozen=True)
class SpeakerPackage:
    path: Path
    manifest: dict[str, Any] = field(repr=False)
    name: str
    sha256: str
    embedding_dim: int

    @property
    def graph(self) -> Path:
        return self.path / GRAPH

    def verified_graph(self) -> bytes:
        """The graph's bytes, hashed here against the manifest: the session runs what was checked,
        not whatever the path holds after :func:`open_speaker_package` verified it."""
        data = self.graph.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.manifest["files"][GRAPH]:
            raise PackageIntegrityError(f"modified file: {GRAPH}")
        return data


def open_speaker_package(path: str | Path) -> SpeakerPackage:
    """Open and fully verify the package at `path` (every file re-hashed; the graph is 17 MB)."""
    root = Path(path).resolve()
    raw, manifest = read_manifest(root)
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise PackageIntegrityError(f"model.json lacks fields: {', '.join(missing)}")
    if manifest["format"] != FORMAT:
        raise PackageIntegrityError(f"unsupported package format {manifest['format']!r}")
    if manifest["task"] != TASK:
        raise PackageIntegrityError(f"not a speaker-embedding package (task {manifest['task']!r})")
    expected = manifest["files"]
    if not isinstance(expected, dict) or GRAPH not in expected:
        raise PackageIntegrityError(f"manifest does not list {GRAPH}")
    verify_files(root, expected)
    return SpeakerPackage(root, manifest, str(manifest["name"]), hashlib.sha256(raw).hexdigest(),
                          int(manifest["embedding_dim"]))
