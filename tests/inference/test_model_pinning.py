"""A deployment runs the model package it names, byte for byte (issue 10, finding 10): the manifest
digest is pinned, the verification cache cannot be fooled by a restored mtime, and sessions are built
from the bytes that were hashed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from shared.inference.package import (
    MANIFEST,
    PackageIntegrityError,
    clear_verification_cache,
    open_package,
    pin_package,
)
from shared.services import build_local
from shared.settings import Settings


@pytest.fixture
def package(tiny_whisper_package: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pkg"
    shutil.copytree(tiny_whisper_package, copy)
    clear_verification_cache()
    return copy


def _digest(pkg: Path) -> str:
    return hashlib.sha256((pkg / MANIFEST).read_bytes()).hexdigest()


def test_only_the_expected_manifest_digest_opens(package: Path) -> None:
    deployed = _digest(package)
    assert open_package(package, expected_digest=_digest(package).upper()).sha256 == _digest(package)
    with pytest.raises(PackageIntegrityError, match="not the deployed"):
        open_package(package, expected_digest="0" * 64)
    # a self-consistent package that is not the deployed one: re-hashed files, rewritten manifest
    manifest = json.loads((package / MANIFEST).read_text())
    manifest["name"] = "someone-elses-model"
    (package / MANIFEST).write_text(json.dumps(manifest))
    open_package(package)  # consistent with itself ...
    with pytest.raises(PackageIntegrityError):
        open_package(package, expected_digest=deployed)


def test_a_pinned_folder_refuses_any_other_package_everywhere(package: Path) -> None:
    expected = _digest(package)
    pin_package(package, expected)
    open_package(package)
    manifest = json.loads((package / MANIFEST).read_text())
    manifest["name"] = "swapped"
    (package / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(PackageIntegrityError, match="not the deployed"):
        open_package(package)
    with pytest.raises(ValueError):
        pin_package(package, "not-a-digest")


def test_settings_pin_the_local_engine(package: Path, tmp_path: Path) -> None:
    wrong = build_local(Settings(mode="local", data_dir=tmp_path / "d1", whisper_model_dir=package,
                                 whisper_model_digest="2" * 64))
    with pytest.raises(PackageIntegrityError):
        _ = wrong.stt.model_info
    right = build_local(Settings(mode="local", data_dir=tmp_path / "d2", whisper_model_dir=package,
                                 whisper_model_digest=_digest(package)))
    assert right.stt.model_info["sha256"] == _digest(package)


def test_an_in_place_edit_with_the_mtime_restored_is_caught(package: Path) -> None:
    open_package(package)  # verified, and cached
    target = package / "encoder_model.onnx"
    st = target.stat()
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF  # same size
    target.write_bytes(bytes(data))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back, inode unchanged
    assert target.stat().st_mtime_ns == st.st_mtime_ns and target.stat().st_ino == st.st_ino
    with pytest.raises(PackageIntegrityError, match="modified file"):
        open_package(package)


def test_sessions_load_the_bytes_that_were_hashed(package: Path) -> None:
    pkg = open_package(package)
    data = pkg.verified_model("encoder_model.onnx")
    assert isinstance(data, bytes) and hashlib.sha256(data).hexdigest() == pkg.manifest["files"]["encoder_model.onnx"]
    target = package / "encoder_model.onnx"  # swapped after the package was opened
    target.write_bytes(target.read_bytes()[:-1] + b"\0")
    with pytest.raises(PackageIntegrityError, match="modified file"):
        pkg.verified_model("encoder_model.onnx")
