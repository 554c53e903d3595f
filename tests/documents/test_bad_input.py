"""Bad input: a specific DocumentError code, the original untouched, nothing written."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from shared.documents import errors
from shared.documents.errors import DocumentError
from shared.documents.formats import read_document
from tests.documents.builders import PT, make_docx, make_pdf, make_scanned_pdf


def _corrupt_docx(p: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<not-closed")
    p.write_bytes(buf.getvalue())
    return p


def _truncated_docx(p: Path) -> Path:
    whole = make_docx(p).read_bytes()
    p.write_bytes(whole[: len(whole) // 2])
    return p


CASES = {
    "empty.txt": (lambda p: p.write_bytes(b"") and p, errors.EMPTY),
    "blank.txt": (lambda p: p.write_bytes(b"  \n\n ") and p, errors.EMPTY),
    "binary.txt": (lambda p: p.write_bytes(bytes(range(256)) * 40) and p, errors.BINARY_DATA),
    "png.txt": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64) and p, errors.WRONG_EXTENSION),
    "pdf-named.docx": (lambda p: make_pdf(p), errors.WRONG_EXTENSION),
    "docx-named.pdf": (lambda p: make_docx(p), errors.WRONG_EXTENSION),
    "corrupt.docx": (_corrupt_docx, errors.CORRUPT),
    "truncated.docx": (_truncated_docx, errors.CORRUPT),
    "text.docx": (lambda p: p.write_text(PT) and p, errors.WRONG_EXTENSION),
    "encrypted.pdf": (lambda p: make_pdf(p, password="segredo"), errors.ENCRYPTED),
    "scanned.pdf": (make_scanned_pdf, errors.NO_TEXT_LAYER),
    "truncated.pdf": (lambda p: p.write_bytes(make_pdf(p).read_bytes()[:300]) and p, errors.CORRUPT),
    "notes.xyz": (lambda p: p.write_text(PT) and p, errors.UNSUPPORTED_FORMAT),
    "nosubs.srt": (lambda p: p.write_text("só texto sem tempos\n") and p, errors.EMPTY),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_has_a_specific_code(tmp_path: Path, name: str) -> None:
    make, code = CASES[name]
    path = tmp_path / name
    make(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert info.value.code == code, info.value.message
    assert info.value.message and "Traceback" not in info.value.message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [name]


def test_zip_bomb_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.documents import docx_doc

    monkeypatch.setattr(docx_doc, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", bytes(3 * 1024 * 1024))  # 3 MB of zeros, a few kB packed
    f = tmp_path / "bomb.docx"
    f.write_bytes(buf.getvalue())
    with pytest.raises(DocumentError) as info:
        read_document(f)
    assert info.value.code == errors.TOO_LARGE and "unpacks" in info.value.message


def test_oversize_and_missing(tmp_path: Path) -> None:
    f = tmp_path / "big.txt"
    f.write_text(PT * 100)
    with pytest.raises(DocumentError) as info:
        read_document(f, max_bytes=1000)
    assert info.value.code == errors.TOO_LARGE
    with pytest.raises(DocumentError) as info:
        read_document(tmp_path / "absent.txt")
    assert info.value.code == errors.NOT_FOUND


def test_error_pickles_with_its_code() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(DocumentError(errors.CORRUPT, "x")))
    assert (err.code, err.message) == (errors.CORRUPT, "x")
