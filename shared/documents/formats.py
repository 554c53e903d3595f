"""Which reader handles a file: by extension, checked against the bytes; size and emptiness first.

The original is only ever read. Every failure is a `DocumentError` with a specific code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.documents.chat import looks_like_chat, read_chat
from shared.documents.delimited import read_delimited
from shared.documents.docx_doc import read_docx
from shared.documents.email_doc import read_eml
from shared.documents.errors import EMPTY, NOT_FOUND, TOO_LARGE, UNSUPPORTED_FORMAT, WRONG_EXTENSION, DocumentError
from shared.documents.html_doc import read_html
from shared.documents.model import ParsedDocument
from shared.documents.pdf_doc import read_pdf
from shared.documents.plaintext import read_plain
from shared.documents.subtitles import read_subtitles
from shared.documents.textcodec import decode_text, sniff_signature
from shared.documents.xlsx_doc import read_xlsx

DEFAULT_MAX_BYTES = 40 * 1024 * 1024  # Azure Document Translation's per-document limit


def _read_txt(data: bytes) -> ParsedDocument:
    decoded = decode_text(data, "text")
    if looks_like_chat(decoded.text):
        return read_chat(data, decoded)
    return read_plain(data)


READERS: dict[str, Callable[[bytes], ParsedDocument]] = {
    ".txt": _read_txt,
    ".text": _read_txt,
    ".md": lambda d: read_plain(d, markdown=True),
    ".markdown": lambda d: read_plain(d, markdown=True),
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".srt": lambda d: read_subtitles(d, vtt=False),
    ".vtt": lambda d: read_subtitles(d, vtt=True),
    ".html": read_html,
    ".htm": read_html,
    ".eml": read_eml,
    ".csv": lambda d: read_delimited(d, tsv=False),
    ".tsv": lambda d: read_delimited(d, tsv=True),
    ".xlsx": read_xlsx,
}
# What a container's first bytes must be for the extension (anything else is a wrong extension).
_EXPECTED = {".docx": "ZIP/Office", ".xlsx": "ZIP/Office", ".pdf": "PDF"}


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[ParsedDocument, bytes]:
    """The parsed document and the original bytes (read once, never written)."""
    if not path.is_file():
        raise DocumentError(NOT_FOUND, f"{path.name} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise DocumentError(UNSUPPORTED_FORMAT, f"{suffix or 'no extension'} is not a supported document format "
                                                f"({', '.join(supported_suffixes())})")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(TOO_LARGE, f"{path.name} is {size} bytes, over the {max_bytes}-byte limit")
    data = path.read_bytes()
    return parse_document(data, path.name, max_bytes), data


def parse_document(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDocument:
    """``data`` parsed by the reader of ``name``'s extension (a blob's bytes, a file's)."""
    suffix = Path(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise DocumentError(UNSUPPORTED_FORMAT, f"{suffix or 'no extension'} is not a supported document format "
                                                f"({', '.join(supported_suffixes())})")
    if not data:
        raise DocumentError(EMPTY, f"{name} is empty (0 bytes)")
    if len(data) > max_bytes:
        raise DocumentError(TOO_LARGE, f"{name} is {len(data)} bytes, over the {max_bytes}-byte limit")
    found = sniff_signature(data)
    expected = _EXPECTED.get(suffix)
    if expected and found != expected and not (suffix in (".docx", ".xlsx") and found == "OLE (old Office/MSG)"):
        raise DocumentError(WRONG_EXTENSION, f"{name} is named {suffix} but holds {found or 'other'} data")
    if expected is None and found is not None and suffix != ".eml":
        raise DocumentError(WRONG_EXTENSION, f"{name} is named {suffix} but holds {found} data")
    return reader(data)
