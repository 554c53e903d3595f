"""The one error type of document translation, with a stable reason code (like ``MediaError``)."""

from __future__ import annotations

# Reason codes (stable: stored in job records and shown to officers).
NOT_FOUND = "document.not_found"  # path missing or not a regular file
EMPTY = "document.empty"  # zero bytes, or no text at all
TOO_LARGE = "document.too_large"  # over the configured size limit
UNSUPPORTED_FORMAT = "document.unsupported_format"  # an extension no reader handles
WRONG_EXTENSION = "document.wrong_extension"  # the bytes are another known format than the name says
BINARY_DATA = "document.binary_data"  # a text format whose bytes are not text in any encoding
CORRUPT = "document.corrupt"  # a container (DOCX, XLSX, PDF, EML) that does not parse
ENCRYPTED = "document.encrypted"  # a password-protected PDF or Office file
NO_TEXT_LAYER = "document.no_text_layer"  # a scanned PDF: pages but no extractable text
GLOSSARY_INVALID = "document.glossary_invalid"  # a glossary file that does not parse (line named)
NO_MODEL = "document.no_model"  # no translator for any language found, when nothing could be translated


class DocumentError(Exception):
    """A document (or glossary) that cannot be used, with a specific reason ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[DocumentError], tuple[str, str]]:
        return (DocumentError, (self.code, self.message))
