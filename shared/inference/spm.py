"""A ``tokenizers`` tokenizer from a SentencePiece model + Marian ``vocab.json`` (no sentencepiece).

Marian packages ship ``source.spm`` / ``target.spm`` and ``vocab.json`` but no ``tokenizer.json``
(transformers has no fast Marian tokenizer). This module reads the pieces, scores and the
normalisation charsmap from the ``.spm`` protobuf with a minimal wire-format reader, and builds
the same pipeline transformers' SentencePiece converters build: Precompiled normaliser,
Metaspace pre-tokenizer and a Unigram model whose ids are ``vocab.json``'s.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import Unigram


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs of one protobuf message (varint, fixed32/64, bytes)."""
    out: list[tuple[int, Any]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = struct.unpack("<f", buf[pos:pos + 4])[0], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((num, value))
    return out


def _content(source: Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def read_spm(source: Path | bytes) -> tuple[list[tuple[str, float]], bytes]:
    """Pieces with scores, and the precompiled normalisation charsmap, of a ``.spm`` model (a path, or
    its verified bytes)."""
    pieces: list[tuple[str, float]] = []
    charsmap = b""
    for num, value in _fields(_content(source)):
        if num == 1:  # SentencePiece {piece = 1, score = 2, type = 3}
            f = dict(_fields(value))
            pieces.append((f.get(1, b"").decode("utf-8"), float(f.get(2, 0.0))))
        elif num == 3:  # NormalizerSpec {name = 1, precompiled_charsmap = 2}
            charsmap = dict(_fields(value)).get(2, b"")
    return pieces, charsmap


def marian_tokenizer(spm: Path | bytes, vocab_json: Path | bytes) -> Tokenizer:
    """Tokenizer whose ids follow ``vocab.json`` and whose segmentation follows the ``.spm`` model (each a
    path, or its verified bytes)."""
    pieces, charsmap = read_spm(spm)
    scores = dict(pieces)
    vocab: dict[str, int] = json.loads(_content(vocab_json).decode("utf-8"))
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ValueError("vocab.json ids are not contiguous")
    floor = min(scores.values(), default=0.0) - 10.0
    table = [(tok, scores.get(tok, floor)) for tok, _ in by_id]
    tok = Tokenizer(Unigram(table, unk_id=vocab.get("<unk>", 1), byte_fallback=False))
    norms: list[Any] = [normalizers.Precompiled(charsmap)] if charsmap else []
    norms += [normalizers.Strip(left=False, right=True), normalizers.Replace(Regex(" {2,}"), "▁")]
    tok.normalizer = normalizers.Sequence(norms)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    specials = [t for t in ("</s>", "<unk>", "<pad>") if t in vocab]
    tok.add_special_tokens(specials)
    return tok
