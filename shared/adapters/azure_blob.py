"""Azure Blob Storage adapter: streamed, checksummed, write-once.

Uploads are streamed block by block (``stage_block`` + ``commit_block_list``), never whole files in
memory: each block carries a transactional Content-MD5 (``validate_content``), and the whole blob's
SHA-256 and MD5 are computed while the blocks go up. The commit then records ``sha256`` in the
blob's metadata and the MD5 as its Content-MD5, and creates the blob only if it does not exist
(``If-None-Match: *``) unless ``overwrite`` is set, so originals are never replaced. Small payloads
(up to ``max_single_put_size``) go up in one Put Blob with the same checks.

Downloads stream in ranges (``download_blob().chunks()``) and re-hash the content; a mismatch with
the recorded ``sha256`` (or, for blobs written by other tools, the Content-MD5) raises IntegrityError
and removes the partial file. ``read_link`` returns a user-delegation SAS (Entra ID, read-only,
short expiry), ``write_link`` one that may only create and write one blob (browser uploads,
functions/upload_sas.py): account keys are never used.

A full ``https://`` reference (a force's own account) is read with the app's token only when its host is
exactly ``<account>.blob.<storage suffix>`` (no user info, port or query) and, where the store was given
the forces' accounts, that account is one of them: the token never goes to any other host.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import (
    BlobBlock,
    BlobClient,
    BlobProperties,
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    generate_blob_sas,
)

from shared.adapters.base import (
    BlobExists,
    BlobInfo,
    BlobNotFound,
    IntegrityError,
    LocalCopy,
    UploadsFiles,
    VersionChanged,
    split_ref,
)
from shared.adapters.blob_urls import DEFAULT_STORAGE_SUFFIX, UnsafeBlobUrl, parse_blob_url, storage_account_of
from shared.clock import iso_utc

MiB = 1024 * 1024
SHA256_KEY = "sha256"
MAX_LINK_LIFETIME = timedelta(hours=24)


class _Hashes:
    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def update(self, block: bytes) -> None:
        self.sha256.update(block)
        self.md5.update(block)
        self.size += len(block)


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    parts, left = [], n
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _info(ref: str, props: BlobProperties) -> BlobInfo:
    md5 = props.content_settings.content_md5 if props.content_settings else None
    modified = iso_utc(props.last_modified, timespec="auto") if props.last_modified else None
    metadata = dict(props.metadata or {})
    return BlobInfo(ref=ref, size=int(props.size), etag=str(props.etag),
                    content_md5=bytes(md5).hex() if md5 else None, sha256=metadata.get(SHA256_KEY),
                    last_modified=modified, metadata=metadata, version_id=getattr(props, "version_id", None))


class AzureBlobStore(UploadsFiles):
    """BlobStore over ``azure-storage-blob``.

    ``credential`` is a TokenCredential (``default_credential()`` in Azure). ``block_size`` bounds
    memory: at most ``max_concurrency`` blocks are in flight. Extra keyword arguments go to
    ``BlobServiceClient`` (e.g. ``connection_verify`` for a local emulator's certificate).
    """

    def __init__(self, account_url: str, credential: Any, *, block_size: int = 8 * MiB,
                 max_single_put_size: int = 8 * MiB, max_concurrency: int = 4,
                 validate_content: bool = True, storage_suffix: str = DEFAULT_STORAGE_SUFFIX,
                 external_accounts: frozenset[str] | None = None, **client_kwargs: Any) -> None:
        if block_size > 4000 * MiB or max_single_put_size > 5000 * MiB:
            raise ValueError("block_size/max_single_put_size above the service's limits")
        self.block_size = block_size
        self.max_single_put_size = max_single_put_size
        self.max_concurrency = max(1, max_concurrency)
        self.validate_content = validate_content
        self.storage_suffix = storage_suffix
        self.external_accounts = external_accounts
        # Transactional MD5 on reads is only allowed for ranges of at most 4 MiB.
        get_size = min(block_size, 4 * MiB) if validate_content else block_size
        self._credential = credential
        self._client_kwargs = dict(max_block_size=block_size, max_single_put_size=max_single_put_size,
                                   max_single_get_size=get_size, max_chunk_get_size=get_size, **client_kwargs)
        self._svc = BlobServiceClient(account_url, credential=credential, **self._client_kwargs)

    @property
    def account_name(self) -> str:
        return str(self._svc.account_name)

    def _blob(self, ref: str) -> Any:
        """A client for ``container/name`` in this account, or for a full ``https://`` blob URL
        (a force's own storage account, read with the same managed identity)."""
        if "://" in ref:
            url, own = parse_blob_url(ref), parse_blob_url(self._svc.url, allow_path_prefix_only=True)
            same_account = ((url.scheme, url.host, url.port) == (own.scheme, own.host, own.port)
                            and url.segments[: len(own.segments)] == own.segments)
            account = storage_account_of(url, self.storage_suffix)
            known = account is not None and (self.external_accounts is None or account in self.external_accounts)
            if not (same_account or known):
                raise UnsafeBlobUrl("not a blob in a known storage account: refused to send the app's token")
            return BlobClient.from_blob_url(ref, credential=self._credential, **self._client_kwargs)
        container, name = split_ref(ref)
        return self._svc.get_blob_client(container, name)

    def ensure_container(self, name: str) -> None:
        """Create a container if missing (local emulator and tests; in Azure, Bicep creates them)."""
        with contextlib.suppress(ResourceExistsError):
            self._svc.create_container(name)

    # -- writes --------------------------------------------------------------------------------
    def upload(self, ref: str, data: bytes | BinaryIO, *, overwrite: bool = False,
               content_type: str | None = None, metadata: dict[str, str] | None = None) -> BlobInfo:
        blob = self._blob(ref)
        if not overwrite and blob.exists():
            raise BlobExists(ref)  # fail before sending gigabytes; the commit re-checks atomically
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
        first = _read_exactly(stream, self.max_single_put_size + 1)
        meta = {k: v for k, v in (metadata or {}).items() if k != SHA256_KEY}
        conditions: dict[str, Any] = {} if overwrite else {"match_condition": MatchConditions.IfMissing}
        try:
            if len(first) <= self.max_single_put_size:
                return self._put_single(ref, blob, first, content_type, meta, conditions, overwrite)
            return self._put_blocks(ref, blob, first, stream, content_type, meta, conditions)
        except ResourceModifiedError:  # 412: If-None-Match * failed on commit
            raise BlobExists(ref) from None
        except ResourceExistsError as e:
            if str(getattr(e, "error_code", "")) == "BlobAlreadyExists":
                raise BlobExists(ref) from None
            raise

    def _put_single(self, ref: str, blob: Any, body: bytes, content_type: str | None,
                    meta: dict[str, str], conditions: dict[str, Any], overwrite: bool) -> BlobInfo:
        hashes = _Hashes()
        hashes.update(body)
        settings = ContentSettings(content_type=content_type, content_md5=bytearray(hashes.md5.digest()))
        blob.upload_blob(body, overwrite=overwrite, content_settings=settings,
                         metadata={**meta, SHA256_KEY: hashes.sha256.hexdigest()},
                         validate_content=self.validate_content, **conditions)
        return self._verify_written(ref, blob, hashes)

    def _put_blocks(self, ref: str, blob: Any, first: bytes, source: BinaryIO, content_type: str | None,
                    meta: dict[str, str], conditions: dict[str, Any]) -> BlobInfo:
        hashes = _Hashes()
        block_ids: list[str] = []
        pending: list[Future[Any]] = []
        buffer = first

        def next_block() -> bytes:
            nonlocal buffer
            if len(buffer) < self.block_size:
                buffer += _read_exactly(source, self.block_size - len(buffer))
            block, buffer = buffer[: self.block_size], buffer[self.block_size:]
            return block

        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="blob-upload") as pool:
            while block := next_block():
                hashes.update(block)
                block_id = f"{len(block_ids):08d}"
                block_ids.append(block_id)
                pending.append(pool.submit(blob.stage_block, block_id, block, length=len(block),
                                           validate_content=self.validate_content))
                if len(pending) >= self.max_concurrency:
                    pending.pop(0).result()
            for fut in pending:
                fut.result()
        settings = ContentSettings(content_type=content_type, content_md5=bytearray(hashes.md5.digest()))
        blob.commit_block_list([BlobBlock(block_id=b) for b in block_ids], content_settings=settings,
                               metadata={**meta, SHA256_KEY: hashes.sha256.hexdigest()}, **conditions)
        return self._verify_written(ref, blob, hashes)

    def _verify_written(self, ref: str, blob: Any, hashes: _Hashes) -> BlobInfo:
        info = _info(ref, blob.get_blob_properties())
        if info.size != hashes.size:
            raise IntegrityError(f"{ref}: stored {info.size} bytes, sent {hashes.size}")
        return info

    def delete(self, ref: str) -> None:
        try:
            self._blob(ref).delete_blob(delete_snapshots="include")
        except ResourceNotFoundError:
            raise BlobNotFound(ref) from None

    # -- reads ---------------------------------------------------------------------------------
    def properties(self, ref: str) -> BlobInfo:
        try:
            return _info(ref, self._blob(ref).get_blob_properties())
        except ResourceNotFoundError:
            raise BlobNotFound(ref) from None

    def exists(self, ref: str) -> bool:
        return bool(self._blob(ref).exists())

    def _stream(self, ref: str, sink: Any, pin: dict[str, Any] | None = None) -> BlobInfo:
        """Download ``ref`` into ``sink.write`` range by range, then check its checksums. ``pin`` holds
        ``version_id`` and/or an ``etag`` the read must match (every range request carries it)."""
        try:
            downloader = self._blob(ref).download_blob(max_concurrency=self.max_concurrency,
                                                       validate_content=self.validate_content, **(pin or {}))
        except ResourceNotFoundError:
            raise (VersionChanged(ref) if pin else BlobNotFound(ref)) from None
        except ResourceModifiedError:
            raise VersionChanged(ref) from None
        info = _info(ref, downloader.properties)
        hashes = _Hashes()
        try:
            for chunk in downloader.chunks():
                hashes.update(chunk)
                sink.write(chunk)
        except ResourceModifiedError:
            raise VersionChanged(ref) from None
        if hashes.size != info.size:
            raise IntegrityError(f"{ref}: read {hashes.size} bytes, expected {info.size}")
        sha = hashes.sha256.hexdigest()
        if info.sha256 and sha != info.sha256.strip().lower():  # the writer's claim, in any letter case
            raise IntegrityError(f"{ref}: content does not match its recorded SHA-256")
        if not info.sha256 and info.content_md5 and hashes.md5.hexdigest() != info.content_md5:
            raise IntegrityError(f"{ref}: content does not match its Content-MD5")
        return BlobInfo(ref=ref, size=info.size, etag=info.etag, content_md5=info.content_md5, sha256=sha,
                        last_modified=info.last_modified, metadata=info.metadata, version_id=info.version_id)

    def download(self, ref: str) -> bytes:
        """Whole blob in memory: for small outputs only (use ``download_to_file`` for media)."""

        class _Sink:
            def __init__(self) -> None:
                self.parts: list[bytes] = []

            def write(self, b: bytes) -> None:
                self.parts.append(b)

        sink = _Sink()
        self._stream(ref, sink)
        return b"".join(sink.parts)

    def download_to_file(self, ref: str, path: Path) -> BlobInfo:
        """Stream to ``path`` (via a temporary name, renamed once verified). The returned info's
        ``sha256`` is the content's, computed while reading, even for blobs without the metadata."""
        return self.download_pinned(ref, path)

    def download_pinned(self, ref: str, path: Path, *, version_id: str | None = None,
                        etag: str | None = None) -> BlobInfo:
        """:meth:`download_to_file` of one version: raises :class:`VersionChanged` when the blob's
        version ``version_id`` is gone or (without a version id) its ETag is no longer ``etag``."""
        pin: dict[str, Any] = {}
        if version_id:
            pin["version_id"] = version_id
        elif etag:
            quoted = etag if etag.startswith('"') else f'"{etag}"'
            pin.update(etag=quoted, match_condition=MatchConditions.IfNotModified)
        path = Path(path)
        tmp = path.with_name(f".{path.name}.partial")
        try:
            with open(tmp, "wb") as out:
                info = self._stream(ref, out, pin)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return info

    @contextlib.contextmanager
    def open_local(self, ref: str, *, version_id: str | None = None,
                   etag: str | None = None) -> Iterator[LocalCopy]:
        """A download of that version into a temporary folder, removed when the block ends."""
        with tempfile.TemporaryDirectory(prefix="toex-blob-") as tmp:
            path = Path(tmp) / "blob"
            info = self.download_pinned(ref, path, version_id=version_id, etag=etag)
            yield LocalCopy(path, info.sha256)

    def list_blobs(self, container: str, prefix: str = "") -> Iterator[BlobInfo]:
        client = self._svc.get_container_client(container)
        try:
            for props in client.list_blobs(name_starts_with=prefix or None, include=["metadata"]):
                yield _info(f"{container}/{props.name}", props)
        except ResourceNotFoundError:
            return

    # -- links ---------------------------------------------------------------------------------
    def read_link(self, ref: str, expires_in: timedelta) -> str:
        """A read-only user-delegation SAS URL valid for ``expires_in`` (at most 24 h)."""
        return self._delegated_link(ref, expires_in, BlobSasPermissions(read=True))

    def write_link(self, ref: str, expires_in: timedelta) -> str:
        """A user-delegation SAS URL that may create and write exactly this blob (Put Block, Put Block
        List) and nothing else: no read, list, delete or tag, no other name. At most 24 h."""
        return self._delegated_link(ref, expires_in, BlobSasPermissions(create=True, write=True))

    def staged_blocks(self, ref: str) -> list[tuple[str, int]]:
        """The uncommitted blocks of ``ref`` as (base64 id, size), read with the app's own identity (the
        SDK hands ids back decoded, as text: ids must be UTF-8 text before encoding, as the page's are)."""
        try:
            _, uncommitted = self._blob(ref).get_block_list("uncommitted")
        except ResourceNotFoundError:
            return []
        return [(base64.b64encode(str(b.id).encode()).decode(), int(b.size)) for b in uncommitted]

    def _delegated_link(self, ref: str, expires_in: timedelta, permission: BlobSasPermissions) -> str:
        if expires_in <= timedelta(0) or expires_in > MAX_LINK_LIFETIME:
            raise ValueError("expires_in must be positive and at most 24 hours")
        container, name = split_ref(ref)
        now = datetime.now(UTC).replace(microsecond=0)
        start, expiry = now - timedelta(minutes=5), now + expires_in  # 5 min for clock skew
        key = self._svc.get_user_delegation_key(key_start_time=start, key_expiry_time=expiry)
        sas = generate_blob_sas(self.account_name, container, name, user_delegation_key=key,
                                permission=permission, start=start, expiry=expiry, protocol="https")
        return f"{self._blob(ref).url}?{sas}"
