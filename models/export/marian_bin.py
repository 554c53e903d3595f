"""Read Marian binary models (format version 1) and Marian binary shortlists with numpy only.

Layout of a model file: uint64 version, uint64 item count, one header per item (name length, type,
shape length, data length: four uint64), the NUL-terminated names, the int32 shapes, a uint64
padding length and its padding, then each item's bytes. Type 0x0404 is float32; type 0x4101 is
intgemm int8: ``prod(shape)`` int8 values followed by one float32 multiplier (real = int8 / mult).
Int8 matrices are stored transposed ([out, in]), except ``Wemb`` ([vocab, dim], as is).
``special:model.yml`` (type 0x0101) holds the training configuration as YAML text.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FLOAT32, INT8_INTGEMM, CHAR = 0x0404, 0x4101, 0x0101
BINARY_VERSION = 1
SHORTLIST_MAGIC = 0xF11A48D5013417F5


@dataclass(frozen=True)
class Item:
    name: str
    type: int
    shape: tuple[int, ...]
    data: bytes

    @property
    def is_int8(self) -> bool:
        return self.type == INT8_INTGEMM

    def int8(self) -> tuple[np.ndarray, float]:
        """(int8 values in Marian's shape order, multiplier) of an intgemm item."""
        if not self.is_int8:
            raise ValueError(f"{self.name}: not an int8 item (type {self.type:#x})")
        n = int(np.prod(self.shape))
        values = np.frombuffer(self.data, dtype=np.int8, count=n)
        (mult,) = struct.unpack_from("<f", self.data, n)
        return values, float(mult)

    def float32(self) -> np.ndarray:
        if self.type != FLOAT32:
            raise ValueError(f"{self.name}: not a float32 item (type {self.type:#x})")
        return np.frombuffer(self.data, dtype="<f4", count=int(np.prod(self.shape))).reshape(self.shape).copy()


def read_model(path: Path) -> tuple[dict[str, Item], dict[str, Any]]:
    """Items by name and the embedded ``special:model.yml`` configuration."""
    import yaml

    buf = Path(path).read_bytes()
    pos = 0

    def u64() -> int:
        nonlocal pos
        (v,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        return int(v)

    version = u64()
    if version != BINARY_VERSION:
        raise ValueError(f"{path}: Marian binary version {version}, expected {BINARY_VERSION}")
    count = u64()
    if not 0 < count < 100000:
        raise ValueError(f"{path}: implausible item count {count}")
    headers = [(u64(), u64(), u64(), u64()) for _ in range(count)]
    names = []
    for name_len, _, _, _ in headers:
        names.append(buf[pos:pos + name_len].rstrip(b"\0").decode("utf-8"))
        pos += name_len
    shapes = []
    for _, _, shape_len, _ in headers:
        shapes.append(tuple(int(x) for x in struct.unpack_from(f"<{shape_len}i", buf, pos)))
        pos += 4 * shape_len
    padding = u64()
    pos += padding
    items: dict[str, Item] = {}
    for (_, typ, _, data_len), name, shape in zip(headers, names, shapes, strict=True):
        if pos + data_len > len(buf):
            raise ValueError(f"{path}: truncated at item {name}")
        items[name] = Item(name, int(typ), shape, buf[pos:pos + data_len])
        pos += data_len
    config: dict[str, Any] = {}
    if "special:model.yml" in items:
        config = yaml.safe_load(items["special:model.yml"].data.rstrip(b"\0").decode("utf-8")) or {}
    return items, config


def read_shortlist(path: Path) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(first, best, offsets, targets) of a binary lexical shortlist (``lex.*.s2t.bin``).

    Source word ``w`` allows targets ``targets[offsets[w]:offsets[w + 1]]``; the ``first`` most
    frequent target words are always allowed."""
    buf = Path(path).read_bytes()
    magic, _checksum, first, best, n_offsets, n_lists = struct.unpack_from("<6Q", buf, 0)
    if magic != SHORTLIST_MAGIC:
        raise ValueError(f"{path}: not a Marian binary shortlist")
    pos = 48
    offsets = np.frombuffer(buf, dtype="<u8", count=n_offsets, offset=pos).astype(np.int64)
    pos += 8 * n_offsets
    targets = np.frombuffer(buf, dtype="<u4", count=n_lists, offset=pos).astype(np.int32)
    return int(first), int(best), offsets, targets


def write_model(path: Path, items: list[tuple[str, int, tuple[int, ...], bytes]], config_yaml: str) -> None:
    """Write a Marian binary v1 file (tests build tiny models with it); ``special:model.yml`` is appended."""
    entries = [*items, ("special:model.yml", CHAR, (len(config_yaml.encode()) + 1,), config_yaml.encode() + b"\0")]
    names = [n.encode() + b"\0" for n, _, _, _ in entries]
    head = struct.pack("<QQ", BINARY_VERSION, len(entries))
    for name, (_, typ, shape, data) in zip(names, entries, strict=True):
        head += struct.pack("<4Q", len(name), typ, len(shape), len(data))
    head += b"".join(names) + b"".join(struct.pack(f"<{len(s)}i", *s) for _, _, s, _ in entries)
    padding = (-(len(head) + 8)) % 256
    Path(path).write_bytes(head + struct.pack("<Q", padding) + b"\0" * padding + b"".join(d for *_, d in entries))
