"""Uploads in two steps, as in Azure: a slot for exactly one new blob name, then blocks and a commit.

Azure: ``POST /api/v1/uploads`` answers a short-lived, write-only user-delegation SAS for one new blob in
the caller's force folder of ``incoming``; the browser stages blocks (``Put Block``), commits them
(``Put Block List`` with ``x-ms-meta-*``) and the blob event starts the job. Locally the slot's URL is
this server's ``/upload/<slot id>``, taking the same three operations:

* ``PUT ?comp=block&blockid=<base64>``: stage one block (staging the same id again replaces it);
* ``GET ?comp=blocklist``: the blocks staged so far, so an interrupted upload resumes where it stopped;
* ``PUT ?comp=blocklist`` with ``{"blocks": [ids in order]}`` and ``x-ms-meta-*`` headers: write the blob
  (never over an existing one) and start the job through the blob trigger's own code.

Slots survive a reload of the page and a restart of ``toex web``: each lives in ``<data dir>/uploads/<slot>/``
as ``slot.json`` (owner, blob name, declared size, time) beside its staged blocks, one file per block. A
page that is given the same file again asks for a slot with ``resume`` and gets the caller's unfinished
slot for that name and size, if any; the page names each block by its index and its own SHA-256, so it
sends again only the blocks the slot does not hold with that content.

Invariants: a slot belongs to one officer (force and user) and one blob name; staged bytes never exceed
the declared size; the committed blob's SHA-256 must equal the one the browser computed
(``x-ms-meta-sha256``), or nothing is written; ``submitted_by`` is the slot's owner, whatever the
metadata says; ``slot.json`` holds no content and no token.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any, BinaryIO
from urllib.parse import quote

from functions.local.webauth import Identity
from shared.adapters.base import BlobInfo, BlobStore
from shared.adapters.local_blob import FsBlobStore
from shared.services import INCOMING
from shared.settings import Settings

BLOCK_SIZE = 8 * 1024 * 1024  # what the page sends; Azure takes up to 4000 MiB a block
MAX_BLOCK = 100 * 1024 * 1024
MAX_BLOCKS = 50_000  # Azure's limit per blob
SLOT_HOURS = 24
_NAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\]")


class UploadError(ValueError):
    """A request the slot refuses; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Slot:
    slot_id: str
    force_id: str
    user_id: str
    ref: str  # incoming/<force>/<date>/<slot>/<name>
    name: str
    size: int
    created: float = field(default_factory=time.time)
    blocks: dict[str, int] = field(default_factory=dict)  # block id -> staged size
    id_length: int | None = None  # decoded length every block id of the blob must have (Azure's rule)
    committed: str | None = None  # the job id once committed


SLOT_FILE = "slot.json"


def _block_file(folder: Path, block_id: str) -> Path:
    return folder / base64.urlsafe_b64encode(base64.b64decode(block_id)).decode().rstrip("=")


def _block_id(file_name: str) -> bytes:
    """The raw block id a block file is named by (the inverse of :func:`_block_file`)."""
    return base64.urlsafe_b64decode(file_name + "=" * (-len(file_name) % 4))


class _Concat:
    """The staged blocks, in commit order, read as one stream (the blob is never held in memory)."""

    def __init__(self, paths: list[Path]) -> None:
        self._paths = iter(paths)
        self._current: BinaryIO | None = None

    def read(self, n: int = -1) -> bytes:
        while True:
            if self._current is None:
                path = next(self._paths, None)
                if path is None:
                    return b""
                self._current = open(path, "rb")  # noqa: SIM115 (closed when exhausted)
            data = self._current.read(n)
            if data:
                return data
            self._current.close()
            self._current = None


class UploadSlots:
    """The open upload slots of one server; staged blocks live under ``<data dir>/uploads/<slot>/``."""

    def __init__(self, settings: Settings, blobs: FsBlobStore) -> None:
        self.settings, self.blobs = settings, blobs
        self.root = settings.data_dir / "uploads"
        self._slots: dict[str, Slot] = {s.slot_id: s for s in self._stored()}
        self._lock = threading.Lock()

    def _stored(self) -> Iterator[Slot]:
        """The slots an earlier launch left, with the blocks they hold; expired ones are removed."""
        for record in sorted(self.root.glob(f"*/{SLOT_FILE}")) if self.root.is_dir() else []:
            try:
                d = json.loads(record.read_text(encoding="utf-8"))
                slot = Slot(d["slot_id"], d["force_id"], d["user_id"], d["ref"], d["name"], int(d["size"]),
                            float(d["created"]))
            except (ValueError, KeyError, TypeError):
                continue  # not a slot this server wrote: left alone
            if slot.slot_id != record.parent.name or time.time() - slot.created > SLOT_HOURS * 3600:
                shutil.rmtree(record.parent, ignore_errors=True)
                continue
            for block in record.parent.iterdir():
                if block.name == SLOT_FILE or ".part-" in block.name:
                    continue
                raw = _block_id(block.name)
                slot.blocks[base64.b64encode(raw).decode()] = block.stat().st_size
                slot.id_length = len(raw)
            yield slot

    def _save(self, slot: Slot) -> None:
        record = {"slot_id": slot.slot_id, "force_id": slot.force_id, "user_id": slot.user_id, "ref": slot.ref,
                  "name": slot.name, "size": slot.size, "created": slot.created}
        path = self.root / slot.slot_id / SLOT_FILE
        tmp = path.with_name(SLOT_FILE + ".part-" + secrets.token_hex(4))
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)

    def unfinished(self, identity: Identity, name: str, size: int) -> Slot | None:
        """The caller's newest open slot for a file of this name and size (a page reloaded mid-upload)."""
        with self._lock:
            found = [s for s in self._slots.values() if s.force_id == identity.force_id
                     and s.user_id == identity.user_id and s.name == name and s.size == size
                     and s.committed is None and time.time() - s.created <= SLOT_HOURS * 3600]
        return max(found, key=lambda s: s.created, default=None)

    def create(self, identity: Identity, name: str, size: int) -> Slot:
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > 200 or _NAME_BAD.search(name) or name in (".", ".."):
            raise UploadError(400, "the file name must be a plain name of at most 200 characters")
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in (*self.settings.allowed_extensions, *self.settings.document_extensions):
            raise UploadError(400, f"files of type {suffix or '(none)'!r} are not accepted; upload audio, video "
                                   "or a document")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise UploadError(400, "size must be the file's size in bytes (more than 0)")
        if size > self.settings.max_upload_bytes:
            raise UploadError(413, f"the file is {size} bytes; the limit is {self.settings.max_upload_bytes} bytes")
        slot_id = secrets.token_urlsafe(18)
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        ref = f"{INCOMING}/{identity.force_id}/{day}/{slot_id[:12]}/{name}"
        slot = Slot(slot_id, identity.force_id, identity.user_id, ref, name, size)
        (self.root / slot_id).mkdir(parents=True, exist_ok=False)
        self._save(slot)
        with self._lock:
            self._slots[slot_id] = slot
        return slot

    def get(self, identity: Identity, slot_id: str) -> Slot:
        """The caller's own slot; another identity's slot is answered as one that does not exist."""
        with self._lock:
            slot = self._slots.get(slot_id)
        if (slot is None or (slot.force_id, slot.user_id) != (identity.force_id, identity.user_id)
                or time.time() - slot.created > SLOT_HOURS * 3600):
            raise UploadError(404, "no such upload")
        return slot

    def stage(self, slot: Slot, block_id: str, body: BinaryIO, length: int) -> None:
        if slot.committed is not None:
            raise UploadError(409, "the upload is committed")
        try:
            raw = base64.b64decode(block_id, validate=True)
        except (binascii.Error, ValueError):
            raise UploadError(400, "blockid must be base64") from None
        if not 1 <= len(raw) <= 64:
            raise UploadError(400, "blockid must be 1 to 64 bytes before encoding")
        if slot.id_length is not None and slot.id_length != len(raw):
            raise UploadError(400, "all block ids of a blob must have the same length")
        if not 0 < length <= MAX_BLOCK:
            raise UploadError(413, f"a block is 1 to {MAX_BLOCK} bytes")
        with self._lock:
            others = sum(n for b, n in slot.blocks.items() if b != block_id)
            if others + length > slot.size:
                raise UploadError(413, "the blocks add up to more than the declared size")
            if block_id not in slot.blocks and len(slot.blocks) >= MAX_BLOCKS:
                raise UploadError(413, f"at most {MAX_BLOCKS} blocks")
        target = _block_file(self.root / slot.slot_id, block_id)
        tmp = target.with_name(target.name + f".part-{secrets.token_hex(4)}")
        got = 0
        with open(tmp, "wb") as out:
            while got < length:
                data = body.read(min(1024 * 1024, length - got))
                if not data:
                    break
                out.write(data)
                got += len(data)
        if got != length:  # the connection dropped mid-block: nothing of it is kept
            tmp.unlink(missing_ok=True)
            raise UploadError(400, "the block ended early")
        tmp.replace(target)
        with self._lock:
            slot.blocks[block_id] = length
            slot.id_length = len(raw)

    def block_list(self, slot: Slot) -> dict[str, Any]:
        with self._lock:
            staged = [{"name": b, "size": n} for b, n in slot.blocks.items()]
        return {"blobName": slot.ref, "size": slot.size, "committed": slot.committed is not None,
                "uncommittedBlocks": staged}

    def assemble(self, slot: Slot, block_ids: list[str], metadata: dict[str, str]) -> BlobInfo:
        """Write the blob from the listed blocks; raises :class:`UploadError` and writes nothing on any fault."""
        if slot.committed is not None:
            raise UploadError(409, "the upload is committed")
        if not block_ids or any(b not in slot.blocks for b in block_ids) or len(set(block_ids)) != len(block_ids):
            raise UploadError(400, "the block list names blocks that were not staged (or names one twice)")
        total = sum(slot.blocks[b] for b in block_ids)
        if total != slot.size:
            raise UploadError(400, f"the blocks add up to {total} bytes, not the declared {slot.size}")
        claimed = metadata.get("sha256", "").lower()
        if not re.fullmatch(r"[0-9a-f]{64}", claimed):
            raise UploadError(400, "x-ms-meta-sha256 must be the file's SHA-256 (64 hex digits)")
        metadata = {**metadata, "sha256": claimed, "submitted_by": slot.user_id}
        folder = self.root / slot.slot_id
        info = self.blobs.upload(slot.ref, _Concat([_block_file(folder, b) for b in block_ids]),  # type: ignore[arg-type]
                                 metadata=metadata)
        if info.sha256 != claimed:
            self.blobs.delete(slot.ref)
            raise UploadError(400, "the file's SHA-256 does not match the one computed in the browser; "
                                   "nothing was kept: upload it again")
        slot.committed = ""  # the job id, once the trigger's code has started it
        shutil.rmtree(folder, ignore_errors=True)
        return info

    def blob_client(self, slot: Slot, account_url: str) -> Any:
        """What the blob trigger binds (a ``BlobClient``'s ``url`` and ``get_blob_properties``)."""
        return LocalBlobClient(f"{account_url.rstrip('/')}/{quote(slot.ref)}", slot.ref, self.blobs)

    def open_slots(self) -> Iterator[Slot]:
        with self._lock:
            yield from list(self._slots.values())


class LocalBlobClient:
    """The two members of ``azure.storage.blob.BlobClient`` that ``start_from_blob`` uses."""

    def __init__(self, url: str, ref: str, blobs: BlobStore) -> None:
        self.url, self._ref, self._blobs = url, ref, blobs

    def get_blob_properties(self) -> Any:
        info = self._blobs.properties(self._ref)
        md5 = bytes.fromhex(info.content_md5) if info.content_md5 else None
        return SimpleNamespace(size=info.size, etag=info.etag, metadata=dict(info.metadata), version_id=None,
                               content_settings=SimpleNamespace(content_md5=md5, content_type=None))
