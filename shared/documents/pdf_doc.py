"""PDF with a text layer: paragraphs in reading order, written out as a DOCX (one page break per page).

pdfminer.six is used rather than pypdf because its layout analysis groups characters into lines
and lines into text boxes and orders the boxes (columns, headers) — the paragraphs a translator
needs — while pypdf gives a page's text as one stream. Each text box is one unit (its lines
joined, a word hyphenated at a line end rejoined). A PDF that needs a password is
`ENCRYPTED`; one whose pages hold no characters at all (a scan) is `NO_TEXT_LAYER`; one that does
not parse is `CORRUPT`. Pages are read one at a time.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from shared.documents.errors import CORRUPT, EMPTY, ENCRYPTED, NO_TEXT_LAYER, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput

_HYPHEN_END = re.compile(r"(\w)-$")


def _box_text(lines: list[str]) -> str:
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if out and _HYPHEN_END.search(out) and line[:1].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return re.sub(r"[ \t]+", " ", out)


def read_pdf(data: bytes) -> ParsedDocument:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise DocumentError(CORRUPT, "the file does not start like a PDF")
    units = UnitCollector()
    pages: list[list[int]] = []
    chars = 0
    try:
        for page_no, page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), start=1):
            indices: list[int] = []
            for block_no, box in enumerate(b for b in page if isinstance(b, LTTextBox)):
                lines = [ln.get_text() for ln in box if isinstance(ln, LTTextLine)]
                text = _box_text(lines)
                chars += len(text)
                if text.strip():
                    indices.append(units.add(text, kind="pdf_paragraph", page=page_no, block=block_no + 1))
            pages.append(indices)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise DocumentError(ENCRYPTED, "the PDF is encrypted and needs a password") from exc
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise DocumentError(CORRUPT, f"the PDF does not parse: {type(exc).__name__}") from exc
    if not pages:
        raise DocumentError(EMPTY, "the PDF has no pages")
    if chars == 0:
        raise DocumentError(NO_TEXT_LAYER, f"the PDF's {len(pages)} page(s) hold no text layer (a scan?); "
                                           "it needs OCR first")

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        import docx
        from docx.enum.text import WD_BREAK

        document = docx.Document()
        for k, indices in enumerate(pages):
            if k:
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            for i in indices:
                document.add_paragraph(outputs[i].text)
        buf = io.BytesIO()
        document.save(buf)
        return buf.getvalue()

    return ParsedDocument("pdf", units.units, write, ".docx", {"pages": str(len(pages))})
