"""Self-describing ONNX model packages: open one and verify every file against its manifest.

A package is a directory with `model.json` (format "toex-onnx-package/1") listing the SHA-256
of every other file. The package identity is the SHA-256 of the model.json bytes, which pins
all file hashes. Evidence software: a package whose files do not match is refused.

A deployment pins the package it expects (``TOEX_WHISPER_MODEL_DIGEST``, ``TOEX_MODEL_DIGEST`` in the GPU
service: the digest ``toex setup`` prints): :func:`pin_package` makes every later :func:`open_package` of
that directory refuse any other manifest. Sessions are built from the bytes :meth:`ModelPackage.verified_model`
hashed (not from the path, which could change after the check), and the verification cache keys on the
files' ctime as well, which no user can set back after an in-place edit.

Only the standard library is used here; the inference engine imports this module.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.hashing import listing_digest, sha256_file

MANIFEST = "model.json"
FORMAT = "toex-onnx-package/1"
TASKS = ("automatic-speech-recognition", "translation")
DECODER_LAYOUTS = {
    "merged": ("decoder_model_merged.onnx",),
    "split": ("decoder_model.onnx", "decoder_with_past_model.onnx"),
    "ssru-step": ("decoder_step_model.onnx",),  # Bergamot: SSRU states in and out, fixed-size per step
}
REQUIRED_FIELDS = ("format", "name", "task", "architecture", "precision", "decoder_layout", "files")
MAX_IN_MEMORY_MODEL = 2**31 - 1  # protobuf's limit: larger models (external data) load by path


class PackageIntegrityError(Exception):
    """The package is missing its manifest, or its files do not match the manifest."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def list_files(root: Path, exclude: Iterable[str] = ()) -> list[str]:
    """Relative POSIX paths of all files under `root`, sorted; refuses symlinks."""
    skip = set(exclude)
    out = []
    for p in root.rglob("*"):
        if p.is_symlink():
            raise PackageIntegrityError(f"symlink not allowed in package: {p.relative_to(root).as_posix()}")
        if p.is_file():
            rel = p.relative_to(root).as_posix()
            if rel not in skip:
                out.append(rel)
    return sorted(out)


def hash_files(root: Path, exclude: Iterable[str] = ()) -> dict[str, str]:
    """{relative path: sha256} for every file under `root`."""
    return {rel: sha256_file(root / rel) for rel in list_files(root, exclude)}


def tree_digest(files: Mapping[str, str]) -> str:
    """One SHA-256 over a {relative path: sha256} mapping, in sorted path order."""
    return listing_digest((rel, files[rel]) for rel in sorted(files))


@dataclass(frozen=True)
class ModelPackage:
    path: Path
    manifest: Mapping[str, Any] = field(repr=False)
    name: str
    task: str
    architecture: str
    precision: str
    sha256: str
    decoder_layout: str

    def file(self, rel: str) -> Path:
        """Absolute path of a file the manifest lists; raises PackageIntegrityError otherwise."""
        if rel not in self.manifest["files"]:
            raise PackageIntegrityError(f"{rel} is not part of package {self.name}")
        return self.path / rel

    def has(self, rel: str) -> bool:
        return rel in self.manifest["files"]

    def verified_bytes(self, rel: str) -> bytes:
        """A listed file's bytes, hashed here against the manifest: what is used is what was checked,
        whatever the path holds later (tokenizers and configs shape the output as much as weights)."""
        data = self.file(rel).read_bytes()
        if hashlib.sha256(data).hexdigest() != self.manifest["files"][rel]:
            raise PackageIntegrityError(f"modified file: {rel}")
        return data

    def verified_model(self, rel: str) -> bytes | Path:
        """An ONNX file's bytes, hashed here against the manifest, for ``InferenceSession(bytes)``: what
        runs is what was checked. Files over 2 GiB, or packages with external data, load by path."""
        path = self.file(rel)
        external = any(f.endswith((".onnx_data", ".onnx.data")) for f in self.manifest["files"])
        if external or path.stat().st_size > MAX_IN_MEMORY_MODEL:
            return path
        return self.verified_bytes(rel)

    @property
    def decoder_files(self) -> tuple[str, ...]:
        return DECODER_LAYOUTS[self.decoder_layout]

    @property
    def cross_attentions(self) -> bool:
        return bool(self.manifest.get("cross_attentions", False))

    @property
    def alignment_heads(self) -> list[list[int]]:
        return [list(h) for h in self.manifest.get("alignment_heads", [])]

    @property
    def languages(self) -> list[str]:
        return list(self.manifest.get("languages", []))

    @property
    def multilingual(self) -> bool:
        return bool(self.manifest.get("multilingual", False))


_lock = threading.Lock()
_verified: dict[tuple[Any, ...], str] = {}
_pins: dict[Path, str] = {}


def pin_package(path: str | Path, digest: str) -> None:
    """From now on, :func:`open_package` of ``path`` refuses any manifest whose SHA-256 is not ``digest``."""
    value = digest.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError("a model digest is 64 hex digits (the SHA-256 of model.json, printed by toex setup)")
    with _lock:
        _pins[Path(path).resolve()] = value


def clear_verification_cache() -> None:
    with _lock:
        _verified.clear()


def _stat_key(root: Path, rels: list[str]) -> tuple[Any, ...]:
    entries = []
    for rel in [MANIFEST, *rels]:
        st = (root / rel).stat()
        entries.append((rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
    return (str(root), tuple(entries))


def _check_manifest(manifest: dict[str, Any]) -> None:
    missing = [k for k in REQUIRED_FIELDS if k not in manifest]
    if missing:
        raise PackageIntegrityError(f"model.json lacks fields: {', '.join(missing)}")
    if manifest["format"] != FORMAT:
        raise PackageIntegrityError(f"unsupported package format {manifest['format']!r}")
    if manifest["task"] not in TASKS:
        raise PackageIntegrityError(f"unknown task {manifest['task']!r}")
    layout = manifest["decoder_layout"]
    if layout not in DECODER_LAYOUTS:
        raise PackageIntegrityError(f"unknown decoder_layout {layout!r}")
    files = manifest["files"]
    if not isinstance(files, dict) or not files:
        raise PackageIntegrityError("model.json 'files' must be a non-empty object")
    for rel in ("encoder_model.onnx", *DECODER_LAYOUTS[layout]):
        if rel not in files:
            raise PackageIntegrityError(f"manifest does not list {rel} required by layout {layout!r}")


def verify_files(root: Path, expected: Mapping[str, str]) -> None:
    """Every file beside the manifest is listed in ``expected`` with its SHA-256, and nothing else is there."""
    actual = list_files(root, exclude=(MANIFEST,))
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        raise PackageIntegrityError(f"missing file(s): {', '.join(missing)}")
    if extra:
        raise PackageIntegrityError(f"unexpected file(s): {', '.join(extra)}")
    for rel in actual:
        if sha256_file(root / rel) != expected[rel]:
            raise PackageIntegrityError(f"modified file: {rel}")


def read_manifest(root: Path) -> tuple[bytes, dict[str, Any]]:
    """The package manifest's exact bytes (its digest is the package's) and its JSON object;
    raises :class:`PackageIntegrityError` when it is missing or not a JSON object."""
    path = root / MANIFEST
    if not path.is_file():
        raise PackageIntegrityError(f"no {MANIFEST} in {root}")
    raw = path.read_bytes()
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PackageIntegrityError(f"{MANIFEST} is not valid JSON: {e}") from e
    if not isinstance(manifest, dict):
        raise PackageIntegrityError(f"{MANIFEST} is not a JSON object")
    return raw, manifest


def open_package(path: str | Path, verify: bool = True, expected_digest: str | None = None) -> ModelPackage:
    """Open the package at `path`; with `verify`, check every file hash (cached per file stats). A package
    whose manifest digest is not ``expected_digest`` (or the digest pinned for `path`) is refused."""
    root = Path(path).resolve()
    raw, manifest = read_manifest(root)
    _check_manifest(manifest)
    digest = hashlib.sha256(raw).hexdigest()
    with _lock:
        expected = (expected_digest or _pins.get(root) or "").strip().lower()
    if expected and digest != expected:
        raise PackageIntegrityError(f"package {manifest.get('name')!r} has digest {digest[:12]}..., "
                                    f"not the deployed {expected[:12]}...: refused")
    if verify:
        files = manifest["files"]
        try:  # the key covers the actual listing, so an added file also misses the cache
            key: tuple[Any, ...] | None = _stat_key(root, list_files(root, exclude=(MANIFEST,)))
        except FileNotFoundError:
            key = None
        with _lock:
            cached = key is not None and _verified.get(key) == digest
        if not cached:
            verify_files(root, files)
            if key is not None:
                with _lock:
                    _verified[key] = digest
    return ModelPackage(
        path=root,
        manifest=manifest,
        name=str(manifest["name"]),
        task=str(manifest["task"]),
        architecture=str(manifest["architecture"]),
        precision=str(manifest["precision"]),
        sha256=digest,
        decoder_layout=str(manifest["decoder_layout"]),
    )
