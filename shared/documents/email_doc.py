"""E-mail (.eml): the Subject and every text/plain and text/html part are translated; all other
headers, the MIME structure and attachments are untouched.

A plain part is read like a .txt file (one unit per line), an HTML part like an .html file (text
nodes only). A changed part is re-encoded as UTF-8 (its Content-Transfer-Encoding may change).
"""

from __future__ import annotations

import email
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage

from shared.documents.errors import CORRUPT, EMPTY, DocumentError
from shared.documents.html_doc import read_html
from shared.documents.model import ParsedDocument, TextUnit, UnitCollector, UnitOutput
from shared.documents.plaintext import read_plain


def read_eml(data: bytes) -> ParsedDocument:
    units, _, _, _ = _parse(data)

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        if [o.text for o in outputs] == [u.text for u in units]:
            return data  # nothing changed: the original bytes, not a re-serialisation
        _, msg, subject_index, parts = _parse(data)  # each write starts from the original message
        subject = str(msg.get("Subject", "") or "").strip()
        if subject_index is not None and outputs[subject_index].text != subject:
            msg.replace_header("Subject", outputs[subject_index].text)
        for part, sub, first in parts:
            mine = list(outputs[first:first + len(sub.units)])
            if [o.text for o in mine] == [u.text for u in sub.units]:
                continue
            text = sub.write(mine).decode("utf-8")
            part.set_content(text, subtype=part.get_content_subtype(), charset="utf-8")
        return msg.as_bytes(policy=policy.default)

    return ParsedDocument("eml", units, write, ".eml")


def _parse(data: bytes) -> tuple[list[TextUnit], EmailMessage, int | None,
                                 list[tuple[EmailMessage, ParsedDocument, int]]]:
    try:
        msg = email.message_from_bytes(data, policy=policy.default)
    except Exception as exc:  # the email package raises many types on broken input
        raise DocumentError(CORRUPT, f"the e-mail does not parse: {type(exc).__name__}") from exc
    if not isinstance(msg, EmailMessage) or (not msg.keys() and not msg.get_payload()):
        raise DocumentError(CORRUPT, "the file is not an e-mail message (no headers)")
    units = UnitCollector()
    subject = str(msg.get("Subject", "") or "")
    subject_index = units.add(subject.strip(), kind="subject") if subject.strip() else None
    parts: list[tuple[EmailMessage, ParsedDocument, int]] = []  # (MIME part, its document, first unit)
    for k, part in enumerate(msg.walk()):
        if part.is_multipart() or part.get_content_maintype() != "text" or part.is_attachment():
            continue
        subtype = part.get_content_subtype()
        if subtype not in ("plain", "html"):
            continue
        try:
            content = part.get_content()
        except (LookupError, UnicodeError) as exc:
            raise DocumentError(CORRUPT, f"an e-mail text part does not decode: {type(exc).__name__}") from exc
        if not str(content).strip():
            continue
        raw = str(content).encode("utf-8")
        sub = read_html(raw, trust_meta=False) if subtype == "html" else read_plain(raw)
        first = len(units.units)
        for unit in sub.units:
            units.units.append(TextUnit(len(units.units), {**unit.location, "mime_part": k, "subtype": subtype},
                                        unit.text, unit.spans))
        parts.append((part, sub, first))
    if not units.units:
        raise DocumentError(EMPTY, "the e-mail has no subject and no text")

    return units.units, msg, subject_index, parts
