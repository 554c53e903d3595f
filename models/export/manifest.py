"""What every exported package records: its manifest and the exporter's versions (shared by the exporters)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from shared.clock import iso_utc
from shared.inference.package import FORMAT, MANIFEST, hash_files

EXPORTER_PACKAGES = ("optimum", "optimum-onnx", "transformers", "torch", "onnx", "onnxruntime")


class ParityError(RuntimeError):
    """The fp32 ONNX export does not reproduce the reference (PyTorch) output."""


def exporter_versions(packages: tuple[str, ...] = EXPORTER_PACKAGES) -> dict[str, str]:
    """Each package's installed version, ``absent`` where it is not installed."""
    out = {}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def write_manifest(pkg: Path, fields: dict[str, Any]) -> dict[str, Any]:
    manifest = dict(fields)
    manifest["format"] = FORMAT
    manifest["files"] = hash_files(pkg, exclude=(MANIFEST,))
    manifest["created_at"] = iso_utc()
    (pkg / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def install_package(pkg: Path, out: Path, check: Callable[[Path], object]) -> None:
    """Move the finished package `pkg` to `out` once `check` (the runtime's own opener) accepts it;
    a package already at `out` is replaced only then, so a failed export leaves it as it was."""
    check(pkg)
    if out.exists():
        shutil.rmtree(out)
    pkg.rename(out)
