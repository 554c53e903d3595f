"""File-system blob store: the local stand-in for Azure Blob Storage.

Layout: ``root/<container>/<name>`` with a JSON sidecar per blob under ``root/.meta`` holding its
SHA-256, size, ETag and metadata. Writes are atomic (temp file + rename) and never replace an existing
blob unless asked. Read-only *mounts* map a container name onto an existing folder (an officer's drop
folder), so originals are read in place and never copied, moved or altered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from shared.adapters.base import BlobExists, BlobInfo, BlobNotFound, IntegrityError, LocalCopy, UploadsFiles, split_ref
from shared.clock import iso_utc

_BLOCK = 4 * 1024 * 1024


class FsBlobStore(UploadsFiles):
    """BlobStore over a folder. ``mounts`` maps container names to read-only source folders."""

    def __init__(self, root: Path, mounts: dict[str, Path] | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.mounts = {k: Path(v).resolve() for k, v in (mounts or {}).items()}

    def mount(self, container: str, folder: Path) -> None:
        self.mounts[container] = Path(folder).resolve()

    # -- paths ---------------------------------------------------------------------------------
    def _path(self, ref: str) -> Path:
        container, name = split_ref(ref)
        base = self.mounts.get(container, self.root / container)
        path = (base / name).resolve()
        if base.resolve() not in path.parents:
            raise ValueError(f"blob name escapes its container: {ref!r}")
        return path

    def _meta_path(self, ref: str) -> Path:
        container, name = split_ref(ref)
        return self.root / ".meta" / container / f"{name}.json"

    def _check_writable(self, ref: str) -> None:
        if split_ref(ref)[0] in self.mounts:
            raise PermissionError(f"container of {ref!r} is a read-only mount")

    # -- writes --------------------------------------------------------------------------------
    def upload(self, ref: str, data: bytes | BinaryIO, *, overwrite: bool = False,
               content_type: str | None = None, metadata: dict[str, str] | None = None) -> BlobInfo:
        self._check_writable(ref)
        path = self._path(ref)
        if path.exists() and not overwrite:
            raise BlobExists(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    chunks: Iterator[bytes] = iter([bytes(data)])
                else:
                    chunks = iter(lambda: data.read(_BLOCK), b"")
                for block in chunks:
                    sha.update(block)
                    md5.update(block)
                    size += len(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if overwrite:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # atomic create-if-absent
                os.unlink(tmp)
        except FileExistsError:
            os.unlink(tmp)
            raise BlobExists(ref) from None
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        info = BlobInfo(ref=ref, size=size, etag=f'"{uuid.uuid4().hex}"', content_md5=md5.hexdigest(),
                        sha256=sha.hexdigest(), last_modified=iso_utc(), metadata=dict(metadata or {}))
        self._write_meta(info, content_type)
        return info

    def delete(self, ref: str) -> None:
        self._check_writable(ref)
        path = self._path(ref)
        if not path.exists():
            raise BlobNotFound(ref)
        path.unlink()
        self._meta_path(ref).unlink(missing_ok=True)

    # -- reads ---------------------------------------------------------------------------------
    def properties(self, ref: str) -> BlobInfo:
        path = self._path(ref)
        if not path.is_file():
            raise BlobNotFound(ref)
        meta_path = self._meta_path(ref)
        if meta_path.exists():
            m = json.loads(meta_path.read_text())
            return BlobInfo(ref=ref, size=m["size"], etag=m["etag"], content_md5=m.get("content_md5"),
                            sha256=m.get("sha256"), last_modified=m.get("last_modified"),
                            metadata=m.get("metadata", {}))
        st = path.stat()  # a mounted original: identity from size and mtime, content hashed elsewhere
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        modified = iso_utc(datetime.fromtimestamp(st.st_mtime, UTC), timespec="auto")
        return BlobInfo(ref=ref, size=st.st_size, etag=etag, last_modified=modified)

    def exists(self, ref: str) -> bool:
        return self._path(ref).is_file()

    def download(self, ref: str) -> bytes:
        info = self.properties(ref)
        data = self._path(ref).read_bytes()
        if info.sha256 and hashlib.sha256(data).hexdigest() != info.sha256:
            raise IntegrityError(f"{ref}: content does not match its recorded SHA-256")
        return data

    def download_to_file(self, ref: str, path: Path) -> BlobInfo:
        info = self.properties(ref)
        sha = hashlib.sha256()
        with open(self._path(ref), "rb") as src, open(path, "wb") as dst:
            for block in iter(lambda: src.read(_BLOCK), b""):
                sha.update(block)
                dst.write(block)
        if info.sha256 and sha.hexdigest() != info.sha256:
            raise IntegrityError(f"{ref}: content does not match its recorded SHA-256")
        return info

    @contextmanager
    def open_local(self, ref: str, *, version_id: str | None = None,
                   etag: str | None = None) -> Iterator[LocalCopy]:
        """The file itself, read in place (a folder has no versions: the reader hashes it after use)."""
        yield LocalCopy(self.local_path(ref))

    def local_path(self, ref: str) -> Path:
        """The file behind a blob (local mode only): lets media code read originals in place."""
        path = self._path(ref)
        if not path.is_file():
            raise BlobNotFound(ref)
        return path

    def list_blobs(self, container: str, prefix: str = "") -> Iterator[BlobInfo]:
        base = self.mounts.get(container, self.root / container)
        if not base.is_dir():
            return
        for p in sorted(base.rglob("*")):
            if p.is_file() and not p.name.startswith(".upload-"):
                name = p.relative_to(base).as_posix()
                if name.startswith(prefix):
                    yield self.properties(f"{container}/{name}")

    def read_link(self, ref: str, expires_in: timedelta) -> str:
        return self.local_path(ref).as_uri()

    def _write_meta(self, info: BlobInfo, content_type: str | None) -> None:
        meta_path = self._meta_path(info.ref)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"size": info.size, "etag": info.etag, "content_md5": info.content_md5, "sha256": info.sha256,
                "last_modified": info.last_modified, "metadata": info.metadata, "content_type": content_type}
        tmp = meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, meta_path)

    def purge(self, container: str) -> None:
        """Remove a whole (non-mounted) container: used for scratch data such as chunks."""
        if container in self.mounts:
            raise PermissionError(f"{container} is a read-only mount")
        shutil.rmtree(self.root / container, ignore_errors=True)
        shutil.rmtree(self.root / ".meta" / container, ignore_errors=True)


