"""SHA-256 of files, read in blocks (standard library only: the model verifier imports it too)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

BLOCK = 4 * 1024 * 1024


def sha256_file(path: Path, block: int = BLOCK) -> str:
    """Hex SHA-256 of a file's bytes, never holding more than ``block`` bytes of it."""
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            sha.update(chunk)
    return sha.hexdigest()


def listing_digest(entries: Iterable[tuple[str, str]]) -> str:
    """One SHA-256 over ``(relative path, hex sha256)`` entries in the order given (``path\\0hex\\n`` each)."""
    h = hashlib.sha256()
    for rel, digest in entries:
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()
