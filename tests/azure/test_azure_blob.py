"""AzureBlobStore against Azurite (Entra bearer tokens over HTTPS, as in Azure)."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from azure.storage.blob import BlobClient, ContentSettings

from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.base import BlobExists, BlobNotFound, BlobStore, IntegrityError
from tests.fixtures.services import Azurite

pytestmark = pytest.mark.services

KiB, MiB = 1024, 1024 * 1024


def _payload(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def container(azurite: Azurite) -> str:
    return azurite.new_container()


@pytest.fixture
def store(azurite: Azurite) -> AzureBlobStore:
    return azurite.blob_store(block_size=256 * KiB, max_single_put_size=1 * MiB, max_concurrency=2)


def test_is_a_blob_store(store: AzureBlobStore) -> None:
    assert isinstance(store, BlobStore)


def test_multi_block_file_streams_up_and_down_with_checksums(
        store: AzureBlobStore, azurite: Azurite, container: str, tmp_path: Path) -> None:
    data = _payload(12 * MiB)
    src = tmp_path / "interview.wav"
    src.write_bytes(data)
    ref = f"{container}/force-a/interview.wav"

    tracemalloc.start()
    info = store.upload_file(ref, src, content_type="audio/wav", metadata={"force": "force-a"})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    sha, md5 = hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()
    assert (info.size, info.sha256, info.content_md5) == (len(data), sha, md5)
    assert info.metadata == {"force": "force-a", "sha256": sha}
    assert peak < 4 * MiB, f"upload held {peak} bytes: not streamed"
    blob = azurite.service_client().get_blob_client(container, "force-a/interview.wav")
    committed, _ = blob.get_block_list("committed")
    assert len(committed) == 48 and {b.size for b in committed} == {256 * KiB}
    assert blob.get_blob_properties().content_settings.content_type == "audio/wav"

    out = tmp_path / "copy.wav"
    got = store.download_to_file(ref, out)
    assert out.read_bytes() == data
    assert (got.sha256, got.size, got.etag) == (sha, len(data), info.etag)
    assert not list(tmp_path.glob(".*partial"))
    assert store.download(ref) == data


def test_stream_upload_of_unknown_length(store: AzureBlobStore, container: str) -> None:
    data = _payload(3 * MiB + 123, seed=3)
    info = store.upload(f"{container}/s.bin", io.BufferedReader(io.BytesIO(data), buffer_size=1000))
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert store.download(f"{container}/s.bin") == data


def test_small_upload_is_one_put_with_checksums(store: AzureBlobStore, azurite: Azurite, container: str) -> None:
    data = b'{"status": "ok"}'
    info = store.upload(f"{container}/result.json", data, content_type="application/json",
                        metadata={"sha256": "forged"})
    assert info.sha256 == hashlib.sha256(data).hexdigest()  # a caller cannot forge the checksum
    assert info.content_md5 == hashlib.md5(data).hexdigest()
    blob = azurite.service_client().get_blob_client(container, "result.json")
    assert blob.get_block_list("committed")[0] == []  # Put Blob, not blocks
    assert store.download(f"{container}/result.json") == data


@pytest.mark.parametrize("size", [10, 2 * MiB])
def test_originals_are_never_overwritten(store: AzureBlobStore, container: str, size: int) -> None:
    ref = f"{container}/original.mp4"
    first = store.upload(ref, _payload(size, seed=1))
    with pytest.raises(BlobExists):
        store.upload(ref, _payload(size, seed=2))
    assert store.properties(ref).etag == first.etag
    assert store.download(ref) == _payload(size, seed=1)
    replaced = store.upload(ref, _payload(size, seed=2), overwrite=True)
    assert replaced.etag != first.etag and store.download(ref) == _payload(size, seed=2)


@pytest.mark.parametrize("size", [10, 2 * MiB])
def test_write_once_is_enforced_by_the_service(store: AzureBlobStore, container: str, size: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writers racing past the existence check: the conditional commit still refuses."""
    ref = f"{container}/race.mp4"
    store.upload(ref, _payload(size, seed=1))
    monkeypatch.setattr(BlobClient, "exists", lambda self, **kw: False)
    with pytest.raises(BlobExists):
        store.upload(ref, _payload(size, seed=2))
    monkeypatch.undo()
    assert store.download(ref) == _payload(size, seed=1)


def test_tampered_content_is_detected(store: AzureBlobStore, azurite: Azurite, container: str,
                                      tmp_path: Path) -> None:
    ref = f"{container}/evidence.wav"
    info = store.upload(ref, _payload(2 * MiB))
    # Someone rewrites the bytes behind the adapter, keeping the recorded sha256 metadata.
    tampered = bytearray(_payload(2 * MiB))
    tampered[1000] ^= 0xFF
    azurite.service_client().get_blob_client(container, "evidence.wav").upload_blob(
        bytes(tampered), overwrite=True, metadata=info.metadata)
    with pytest.raises(IntegrityError):
        store.download(ref)
    out = tmp_path / "evidence.wav"
    with pytest.raises(IntegrityError):
        store.download_to_file(ref, out)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_foreign_blobs_checked_by_content_md5(store: AzureBlobStore, azurite: Azurite, container: str) -> None:
    client = azurite.service_client()
    data = _payload(300 * KiB)
    client.get_blob_client(container, "camera/ok.mp4").upload_blob(data)  # no sha256 metadata
    got = store.properties(f"{container}/camera/ok.mp4")
    assert got.sha256 is None and got.content_md5 == hashlib.md5(data).hexdigest()
    assert store.download(f"{container}/camera/ok.mp4") == data
    wrong = ContentSettings(content_md5=bytearray(hashlib.md5(b"other").digest()))
    bad = client.get_blob_client(container, "camera/bad.mp4")
    bad.upload_blob(data)
    bad.set_http_headers(content_settings=wrong)  # recorded MD5 no longer matches the bytes
    with pytest.raises(IntegrityError):
        store.download(f"{container}/camera/bad.mp4")


def test_properties_list_exists_delete(store: AzureBlobStore, container: str) -> None:
    for name in ("a/1.wav", "a/2.wav", "b/3.wav"):
        store.upload(f"{container}/{name}", name.encode(), metadata={"n": name})
    listed = list(store.list_blobs(container, "a/"))
    assert [i.name for i in listed] == ["a/1.wav", "a/2.wav"]
    assert listed[0].sha256 == hashlib.sha256(b"a/1.wav").hexdigest() and listed[0].metadata["n"] == "a/1.wav"
    assert len(list(store.list_blobs(container))) == 3
    assert list(store.list_blobs("no-such-container")) == []
    assert store.properties(f"{container}/b/3.wav").size == 7
    assert store.exists(f"{container}/b/3.wav")
    store.delete(f"{container}/b/3.wav")
    assert not store.exists(f"{container}/b/3.wav")
    with pytest.raises(BlobNotFound):
        store.delete(f"{container}/b/3.wav")
    with pytest.raises(BlobNotFound):
        store.properties(f"{container}/b/3.wav")
    with pytest.raises(BlobNotFound):
        store.download(f"{container}/b/3.wav")


def test_ensure_container_is_idempotent(store: AzureBlobStore, azurite: Azurite) -> None:
    name = f"ensure-{uuid.uuid4().hex[:10]}"
    store.ensure_container(name)
    store.ensure_container(name)
    assert azurite.service_client().get_container_client(name).exists()


def test_read_link_is_read_only_user_delegation_sas(store: AzureBlobStore, azurite: Azurite,
                                                    container: str) -> None:
    ref = f"{container}/results/transcript.docx"
    store.upload(ref, b"docx bytes")
    link = store.read_link(ref, timedelta(minutes=15))
    query = parse_qs(urlsplit(link).query)
    assert query["sp"] == ["r"] and query["sr"] == ["b"] and query["spr"] == ["https"]
    assert query["skoid"] == [azurite.token_credential().object_id]  # signed by a delegation key
    verify = str(azurite.cert_path)
    assert requests.get(link, verify=verify, timeout=10).content == b"docx bytes"
    put = requests.put(link, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, verify=verify, timeout=10)
    assert put.status_code == 403
    forged = link.replace("sp=r", "sp=rw")
    assert requests.get(forged, verify=verify, timeout=10).status_code == 403
    with pytest.raises(ValueError):
        store.read_link(ref, timedelta(days=2))


def test_full_blob_urls_are_read_with_the_same_identity(
        store: AzureBlobStore, container: str, tmp_path: Path) -> None:
    """Jobs from a force's own storage account carry the blob's URL as their reference."""
    data = _payload(300 * KiB, seed=3)
    info = store.upload(f"{container}/force-b/call.amr", data)
    url = store._blob(info.ref).url
    assert url.startswith("https://")
    assert store.properties(url).sha256 == hashlib.sha256(data).hexdigest()
    target = tmp_path / "copy.amr"
    store.download_to_file(url, target)
    assert target.read_bytes() == data
    assert store.exists(url) and not store.exists(url + "-missing")
