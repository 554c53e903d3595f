"""Model packages fetched from the ``models`` blob container (Azurite, Entra bearer tokens)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from functions.gpu.loader import FAILED, READY, ModelSlot, download_package, parse_blob_url
from shared.inference.package import PackageIntegrityError, hash_files, open_package
from shared.inference.whisper import WhisperEngine
from tests.fixtures.services import Azurite


def test_parse_blob_url() -> None:
    assert parse_blob_url("https://acct.blob.core.windows.net/models/whisper/base/") == (
        "https://acct.blob.core.windows.net", "models", "whisper/base/")
    assert parse_blob_url("https://acct.blob.core.windows.net/models") == (
        "https://acct.blob.core.windows.net", "models", "")
    assert parse_blob_url("https://127.0.0.1:10000/devstoreaccount1/models/w") == (
        "https://127.0.0.1:10000/devstoreaccount1", "models", "w/")
    with pytest.raises(ValueError):
        parse_blob_url("file:///models/w")


@contextmanager
def uploaded(azurite: Azurite, pkg: Path, prefix: str) -> Iterator[str]:
    """The package's files as blobs under ``<container>/<prefix>/``; the container is deleted after."""
    container = azurite.new_container("models")
    cc = azurite.service_client().get_container_client(container)
    try:
        for p in sorted(pkg.rglob("*")):
            if p.is_file():
                cc.upload_blob(f"{prefix}/{p.relative_to(pkg).as_posix()}", p.read_bytes())
        yield f"{azurite.account_url}/{container}/{prefix}"
    finally:
        cc.delete_container()


@pytest.mark.services
def test_download_verifies_and_loads(azurite: Azurite, tiny_whisper_package: Path, tmp_path: Path) -> None:
    with uploaded(azurite, Path(tiny_whisper_package), "whisper-tiny") as url:
        download_verifies_and_loads(azurite, Path(tiny_whisper_package), url, tmp_path)


def download_verifies_and_loads(azurite: Azurite, tiny_whisper_package: Path, url: str, tmp_path: Path) -> None:
    dest = tmp_path / "models" / "whisper"
    kw = {"connection_verify": str(azurite.cert_path)}
    n = download_package(url, dest, azurite.token_credential(), **kw)
    assert n == len(list(p for p in Path(tiny_whisper_package).rglob("*") if p.is_file()))
    assert hash_files(dest) == hash_files(Path(tiny_whisper_package))
    assert open_package(dest).sha256 == open_package(tiny_whisper_package).sha256
    assert not any(p.name.endswith(".partial") for p in dest.parent.iterdir())

    # the service's own path: download at start, verify, load (DefaultAzureCredential in Azure)
    slot = ModelSlot("whisper", tmp_path / "slot" / "whisper", WhisperEngine, blob_url=url,
                     blob_kwargs={"credential": azurite.token_credential(), **kw})
    slot.load()
    assert slot.state == READY, slot.reason
    assert slot.engine.model_info["sha256"] == open_package(tiny_whisper_package).sha256


@pytest.mark.services
def test_tampered_download_is_refused(azurite: Azurite, tiny_whisper_package: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(tiny_whisper_package, pkg)
    (pkg / "tokenizer.json").write_bytes((pkg / "tokenizer.json").read_bytes() + b" ")
    with uploaded(azurite, pkg, "bad") as url:
        tampered_download_is_refused(azurite, url, tmp_path)


def tampered_download_is_refused(azurite: Azurite, url: str, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(PackageIntegrityError, match=r"tokenizer\.json"):
        download_package(url, dest, azurite.token_credential(), connection_verify=str(azurite.cert_path))
    assert not dest.exists()  # nothing half-verified takes the package's place
    assert not (tmp_path / ".dest.partial").exists()
    slot = ModelSlot("whisper", tmp_path / "slot", WhisperEngine, blob_url=url,
                     blob_kwargs={"credential": azurite.token_credential(),
                                  "connection_verify": str(azurite.cert_path)})
    slot.load()
    assert slot.state == FAILED and slot.reason.startswith("integrity:")
