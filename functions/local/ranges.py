"""HTTP byte ranges for the media player (``Range: bytes=a-b``, ``bytes=a-``, ``bytes=-n``): seeking in a
long recording reads only what is played, never the whole file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int, int] | None:
    """``(start, end inclusive, status)``: 200 for the whole file, 206 for a range, None when unsatisfiable (416).

    One range only; a header naming several is answered with the whole file, as the standard allows.
    """
    if not header:
        return 0, size - 1, 200
    m = _RANGE.fullmatch(header.strip())
    if "," in header:
        return 0, size - 1, 200
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if m.group(1):
        start, end = int(m.group(1)), min(int(m.group(2) or size - 1), size - 1)
    else:
        start, end = max(0, size - int(m.group(2))), size - 1
    if start > end or start >= size:
        return None
    return start, end, 206


def copy_range(path: Path, out: Any, start: int, end: int, block: int = 1024 * 1024) -> None:
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = f.read(min(block, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
