"""A job reads the version of its original that intake recorded (issue 10, finding 4), on Azurite."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.base import IntegrityError, VersionChanged
from shared.adapters.local_blob import FsBlobStore
from tests.fixtures.services import Azurite

pytestmark = [pytest.mark.services, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


@pytest.fixture
def store(azurite: Azurite) -> AzureBlobStore:
    return azurite.blob_store(block_size=256 * 1024, max_single_put_size=256 * 1024)


def test_a_replaced_blob_is_not_read_for_a_job_pinned_to_its_etag(azurite: Azurite, store: AzureBlobStore,
                                                                   tmp_path: Path) -> None:
    container = azurite.new_container("pin")
    first, second = os.urandom(700 * 1024), os.urandom(700 * 1024)
    intake = store.upload(f"{container}/met/a.wav", first)
    same = store.download_pinned(intake.ref, tmp_path / "a", etag=intake.etag)
    assert (tmp_path / "a").read_bytes() == first and same.sha256 == hashlib.sha256(first).hexdigest()
    store.upload(intake.ref, second, overwrite=True)  # same name, other bytes, after intake
    with pytest.raises(VersionChanged):
        store.download_pinned(intake.ref, tmp_path / "b", etag=intake.etag)
    assert not (tmp_path / "b").exists()
    assert (store.download_pinned(intake.ref, tmp_path / "c").sha256 == hashlib.sha256(second).hexdigest())


def test_the_writers_sha256_is_a_claim_compared_in_any_case(azurite: Azurite, store: AzureBlobStore,
                                                          tmp_path: Path) -> None:
    container = azurite.new_container("claim")
    data = os.urandom(64 * 1024)
    raw = azurite.service_client()
    upper = raw.get_blob_client(container, "upper.wav")
    upper.upload_blob(data, metadata={"sha256": hashlib.sha256(data).hexdigest().upper()})
    assert store.download_pinned(f"{container}/upper.wav", tmp_path / "u").sha256 == hashlib.sha256(data).hexdigest()
    lying = raw.get_blob_client(container, "lying.wav")
    lying.upload_blob(data, metadata={"sha256": "0" * 64})
    with pytest.raises(IntegrityError):
        store.download_pinned(f"{container}/lying.wav", tmp_path / "l")


def test_open_local_downloads_the_pinned_version_and_removes_the_copy(azurite: Azurite, store: AzureBlobStore,
                                                                     tmp_path: Path) -> None:
    container = azurite.new_container("local")
    first, second = os.urandom(300 * 1024), os.urandom(300 * 1024)
    intake = store.upload(f"{container}/met/b.wav", first)
    with store.open_local(intake.ref, etag=intake.etag) as copy:
        assert copy.path.read_bytes() == first and copy.sha256 == hashlib.sha256(first).hexdigest()
    assert not copy.path.exists() and not copy.path.parent.exists()
    store.upload(intake.ref, second, overwrite=True)
    with pytest.raises(VersionChanged), store.open_local(intake.ref, etag=intake.etag):
        pass


def test_open_local_on_the_file_store_reads_the_original_in_place(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    original = drop / "c.wav"
    original.write_bytes(b"RIFF-not-really")
    store = FsBlobStore(tmp_path / "blobs", mounts={"incoming": drop})
    with store.open_local("incoming/c.wav") as copy:
        assert copy.path == original.resolve() and copy.sha256 is None  # the reader hashes it after use
    assert original.read_bytes() == b"RIFF-not-really"
