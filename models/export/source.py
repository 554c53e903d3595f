"""Resolve an export SOURCE (hub id, local HF directory, CTranslate2 Whisper directory)."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.hashing import listing_digest, sha256_file

from .ct2 import build_hf_whisper, is_ct2_whisper_dir

SOURCE_KINDS = ("hub", "hf-dir", "ct2", "bergamot")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# Weight formats the exporter never needs from the hub.
HUB_IGNORE = ["*.msgpack", "*.h5", "*.ot", "*.onnx", "*.onnx_data", "onnx/*", "flax_model*", "tf_model*", "*.gguf"]


@dataclass(frozen=True)
class ResolvedSource:
    kind: str
    id: str
    hf_dir: Path  # a transformers checkpoint directory to export from
    origin_dir: Path  # the directory whose files are hashed into source.sha256
    revision: str | None = None


def detect_kind(source: str) -> str:
    path = Path(source).expanduser()
    if path.is_dir():
        if is_ct2_whisper_dir(path):
            return "ct2"
        if (path / "config.json").is_file():
            return "hf-dir"
        raise ValueError(f"{source}: neither a transformers nor a CTranslate2 model directory")
    if _REPO_ID.match(source):
        return "hub"
    raise ValueError(f"{source}: not a directory and not a hub id (owner/name)")


def source_digest(root: Path) -> str:
    """SHA-256 over the source files (symlinks followed, hidden entries skipped), sorted by path."""
    paths = sorted(p for p in root.rglob("*") if p.is_file())  # in Path order, as recorded digests were
    rels = [(path, path.relative_to(root).as_posix()) for path in paths]
    return listing_digest((rel, sha256_file(path)) for path, rel in rels
                          if not any(part.startswith(".") for part in Path(rel).parts))


def download_hub(repo_id: str, revision: str | None = None) -> Path:
    """Snapshot a hub repository into the Hugging Face cache (honours HF_HUB_OFFLINE / HF_HUB_CACHE)."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, revision=revision, ignore_patterns=HUB_IGNORE))


@contextlib.contextmanager
def resolve_source(source: str, kind: str | None = None, revision: str | None = None) -> Iterator[ResolvedSource]:
    """Yield a transformers directory for `source`; CT2 models are rebuilt in a temporary folder."""
    kind = kind or detect_kind(source)
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {SOURCE_KINDS}")
    if kind == "hub":
        snap = download_hub(source, revision)
        commit = snap.name if re.fullmatch(r"[0-9a-f]{40}", snap.name) else revision
        yield ResolvedSource("hub", source, snap, snap, commit)
        return
    path = Path(source).expanduser().resolve()
    if kind == "hf-dir":
        yield ResolvedSource("hf-dir", path.name, path, path)
        return
    if not is_ct2_whisper_dir(path):
        raise ValueError(f"{path}: missing model.bin / config.json / tokenizer.json for a CTranslate2 model")
    with tempfile.TemporaryDirectory(prefix="toex-ct2-") as tmp:
        hf_dir = build_hf_whisper(path, Path(tmp) / "hf")
        yield ResolvedSource("ct2", path.name, hf_dir, path)
