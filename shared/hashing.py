"""SHA-256 of files, read in blocks (standard library only: the model verifier imports it too)."""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK = 4 * 1024 * 1024


def sha256_file(path: Path, block: int = BLOCK) -> str:
    """Hex SHA-256 of a file's bytes, never holding more than ``block`` bytes of it."""
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            sha.update(chunk)
    return sha.hexdigest()
