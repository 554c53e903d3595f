"""Bytes → text for text formats: BOMs, UTF-16 without BOM, UTF-8, then legacy code pages.

Order: a BOM decides (UTF-8, UTF-16 LE/BE); UTF-16 without a BOM is recognised by its zero bytes
on one side; strict UTF-8 next (legacy bytes almost never decode as UTF-8 by accident); then
charset-normalizer picks among legacy code pages (cp1252, iso-8859-2, cp1250, cp1251, ...). Bytes
that are none of these, or that hold control characters text never has, are `BINARY_DATA`; bytes
that start with another format's signature are `WRONG_EXTENSION`. The encoding found is reused to
write the translation, with a BOM if the source had one.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from shared.documents.errors import BINARY_DATA, WRONG_EXTENSION, DocumentError

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"), (b"PK\x03\x04", "ZIP/Office"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"), (b"ID3", "MP3"), (b"RIFF", "RIFF (WAV/AVI)"), (b"OggS", "Ogg"), (b"fLaC", "FLAC"),
    (b"\x1f\x8b", "gzip"), (b"\xd0\xcf\x11\xe0", "OLE (old Office/MSG)"), (b"\x7fELF", "ELF"),
    (b"MZ", "Windows executable"), (b"#!AMR", "AMR"), (b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
)
# Tie-break among equally likely code pages: the ones UK casework meets most, first.
LEGACY_PREFERENCE = ("cp1252", "cp1250", "cp1251", "iso8859-2", "iso8859-15", "cp1253", "cp1254", "cp1257",
                     "cp1256", "cp1255", "iso8859-5", "iso8859-7", "iso8859-9", "koi8-r", "cp866", "cp850")
# The languages each code page was made for: a decoding whose identified language is not among
# them is unlikely (Portuguese read as cp1257 identifies as Portuguese, not as Lithuanian).
_CODE_PAGE_LANGUAGES = {
    "cp1252": "en fr de es pt it nl da sv no fi ca ga sq is", "iso8859-15": "en fr de es pt it nl da sv fi ca",
    "cp850": "en fr de es pt it nl da sv", "cp1250": "pl cs sk sl hr hu ro sq bs sr",
    "iso8859-2": "pl cs sk sl hr hu ro sq bs sr", "cp1251": "ru uk bg sr mk be", "koi8-r": "ru",
    "iso8859-5": "ru uk bg sr mk be", "cp866": "ru uk be", "cp1253": "el", "iso8859-7": "el", "cp1254": "tr az",
    "iso8859-9": "tr", "cp1257": "lt lv et", "cp1256": "ar fa ur", "cp1255": "he",
}
_USUAL_SYMBOLS = frozenset("€£¥§°·•©®™±×÷«»¬¦¨¯´¸")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # Python codec name
    bom: bool


def sniff_signature(data: bytes) -> str | None:
    """The name of a known binary format ``data`` starts with, or None."""
    if data[4:8] == b"ftyp":
        return "MP4/MOV"
    for magic, name in SIGNATURES:
        if data.startswith(magic):
            return name
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 LE/BE without a BOM: zero bytes on one side only (spaces, digits, line breaks and Latin
    text put a zero in the high byte; Cyrillic or Arabic text still has its spaces), and the bytes
    decode to printable text."""
    sample = data[:8192]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    for zeros, other, enc in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= max(1, 0.05 * half) and other.count(0) <= 0.01 * half:
            try:
                text = sample.decode(enc)
            except UnicodeDecodeError:
                continue
            printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
            if printable >= 0.97 * len(text):
                return enc
    return None


def decode_text(data: bytes, what: str = "text") -> DecodedText:
    """Decode ``data`` as text or raise `DocumentError` (binary, another format's bytes)."""
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data[3:].decode("utf-8", errors="strict"), "utf-8", True, what)
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _checked(_strict(data[2:], enc, what), enc, True, what)
    enc16 = _utf16_without_bom(data)
    if enc16:
        return _checked(_strict(data, enc16, what), enc16, False, what)
    signature = sniff_signature(data)
    if signature:
        raise DocumentError(WRONG_EXTENSION, f"the {what} file holds {signature} data, not text")
    try:
        return _checked(data.decode("utf-8"), "utf-8", False, what)
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise DocumentError(BINARY_DATA, f"the {what} file holds binary data (zero bytes), not text")
    return _checked(*_legacy(data, what), False, what)


def _oddities(text: str) -> int:
    """Signs of a wrong code page: non-ASCII symbols where letters belong (``widzia³``, ``c¶té``),
    an upper-case accented letter inside a lower-case word (``łódĽ``), scripts mixed in one word."""
    odd = 0
    for word in re.findall(r"\S+", text):
        scripts = set()
        for k, ch in enumerate(word):
            if ord(ch) < 128:
                continue
            cat = unicodedata.category(ch)
            if (cat[0] not in "LMP" and ch not in _USUAL_SYMBOLS) or (cat == "Lu" and k and word[k - 1].islower()):
                odd += 1
            if cat[0] == "L":
                scripts.add(unicodedata.name(ch, "?").split(" ")[0])
        if len(scripts | ({"LATIN"} if re.search("[A-Za-z]", word) else set())) > 1:
            odd += 1
    return odd


def _legacy(data: bytes, what: str) -> tuple[str, str]:
    """The likeliest legacy code page. charset-normalizer alone often errs on short texts (cp1257 for
    Portuguese, cp850 for French, cp1252 for Polish), so its candidates among `LEGACY_PREFERENCE` are
    ranked by `_oddities` first, then whether the identified language is one the code page was made
    for, then charset-normalizer's coherence (letter frequencies), then that list's order."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=list(LEGACY_PREFERENCE)))
    if not matches:
        raise DocumentError(BINARY_DATA, f"the {what} file is not text in any known encoding")
    from shared.documents.langid import identify

    scored = []
    for m in matches:
        name = codecs.lookup(m.encoding).name
        text = str(m)
        rank = LEGACY_PREFERENCE.index(name) if name in LEGACY_PREFERENCE else len(LEGACY_PREFERENCE)
        found = identify(text[:4000])
        mismatch = int(found is not None and found[0] not in _CODE_PAGE_LANGUAGES.get(name, found[0]).split())
        scored.append((_oddities(text[:20000]), mismatch, -round(m.coherence, 2), rank, name, text))
    scored.sort(key=lambda s: s[:5])
    return scored[0][5], scored[0][4]


def _strict(data: bytes, enc: str, what: str) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        raise DocumentError(BINARY_DATA, f"the {what} file is not valid {enc} text") from exc


def _checked(text: str, encoding: str, bom: bool, what: str) -> DecodedText:
    controls = len(_CONTROL.findall(text))
    if controls and controls > max(2, len(text) // 1000):
        raise DocumentError(BINARY_DATA, f"the {what} file holds {controls} control characters: binary data, not text")
    return DecodedText(text, encoding, bom)


def encode_text(text: str, source: DecodedText) -> tuple[bytes, str]:
    """``text`` in the source's encoding (BOM kept); UTF-8 with BOM if that encoding cannot hold it."""
    bom = {"utf-8": codecs.BOM_UTF8, "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
    try:
        body = text.encode(source.encoding)
    except UnicodeEncodeError:
        return codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8"
    prefix = bom.get(source.encoding, b"") if source.bom else b""
    return prefix + body, source.encoding
