"""Package verification (shared.inference.package): the engine refuses tampered packages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import shared.inference.package as package_mod
from shared.inference.package import PackageIntegrityError, clear_verification_cache, open_package


@pytest.fixture
def pkg_copy(tiny_whisper_package: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "pkg"
    shutil.copytree(tiny_whisper_package, dst)
    return dst


def test_opens_and_exposes_fields(pkg_copy: Path) -> None:
    pkg = open_package(pkg_copy)
    assert pkg.path == pkg_copy.resolve()
    assert pkg.file("tokenizer.json") == pkg_copy.resolve() / "tokenizer.json"
    assert pkg.has("encoder_model.onnx") and not pkg.has("model.json")
    assert pkg.decoder_files == ("decoder_model_merged.onnx",)
    assert pkg.name == pkg.manifest["name"] and pkg.cross_attentions
    with pytest.raises(PackageIntegrityError):
        pkg.file("../../etc/passwd")


def test_missing_manifest(pkg_copy: Path) -> None:
    (pkg_copy / "model.json").unlink()
    with pytest.raises(PackageIntegrityError, match=re.escape("no model.json")):
        open_package(pkg_copy)


def test_modified_file_refused_even_after_a_cached_success(pkg_copy: Path) -> None:
    open_package(pkg_copy)  # verified and cached
    with open(pkg_copy / "tokenizer.json", "r+b") as f:  # same size, different content
        first = f.read(1)
        f.seek(0)
        f.write(b"[" if first != b"[" else b"{")
    with pytest.raises(PackageIntegrityError, match=re.escape("modified file: tokenizer.json")):
        open_package(pkg_copy)


def test_missing_file_refused(pkg_copy: Path) -> None:
    (pkg_copy / "vocab.json").unlink()
    with pytest.raises(PackageIntegrityError, match="missing file"):
        open_package(pkg_copy)


def test_extra_file_refused(pkg_copy: Path) -> None:
    open_package(pkg_copy)
    (pkg_copy / "notes.txt").write_text("not part of the package")
    with pytest.raises(PackageIntegrityError, match="unexpected file"):
        open_package(pkg_copy)


def test_extra_file_in_subfolder_refused(pkg_copy: Path) -> None:
    (pkg_copy / "sub").mkdir()
    (pkg_copy / "sub" / "x.onnx").write_bytes(b"\0")
    with pytest.raises(PackageIntegrityError, match=re.escape("sub/x.onnx")):
        open_package(pkg_copy)


def test_symlink_refused(pkg_copy: Path) -> None:
    (pkg_copy / "vocab.json").unlink()
    (pkg_copy / "vocab.json").symlink_to(pkg_copy / "merges.txt")
    with pytest.raises(PackageIntegrityError, match="symlink"):
        open_package(pkg_copy)


def test_edited_manifest_changes_identity_and_bad_hash_refused(pkg_copy: Path) -> None:
    before = open_package(pkg_copy).sha256
    m = json.loads((pkg_copy / "model.json").read_text())
    m["files"]["config.json"] = "0" * 64
    (pkg_copy / "model.json").write_text(json.dumps(m))
    with pytest.raises(PackageIntegrityError, match=re.escape("modified file: config.json")):
        open_package(pkg_copy)
    assert open_package(pkg_copy, verify=False).sha256 != before


def test_unknown_format_and_layout_refused(pkg_copy: Path) -> None:
    m = json.loads((pkg_copy / "model.json").read_text())
    (pkg_copy / "model.json").write_text(json.dumps(dict(m, format="other/1")))
    with pytest.raises(PackageIntegrityError, match="format"):
        open_package(pkg_copy, verify=False)
    (pkg_copy / "model.json").write_text(json.dumps(dict(m, decoder_layout="split")))
    with pytest.raises(PackageIntegrityError, match=re.escape("decoder_model.onnx")):
        open_package(pkg_copy, verify=False)


def test_verification_is_cached(pkg_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_verification_cache()
    calls: list[Path] = []
    real = package_mod.sha256_file

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(package_mod, "sha256_file", counting)
    open_package(pkg_copy)
    n = len(calls)
    assert n == len(json.loads((pkg_copy / "model.json").read_text())["files"])
    open_package(pkg_copy)
    assert len(calls) == n  # second load: no re-hashing
    (pkg_copy / "config.json").touch()  # new mtime → verified again
    open_package(pkg_copy)
    assert len(calls) == 2 * n


def test_package_module_has_no_ml_imports() -> None:
    code = ("import sys, shared.inference.package as p; "
            "bad = [m for m in ('torch', 'transformers', 'optimum', 'onnx', 'numpy') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == ""
