"""Chat exports (WhatsApp style): one unit per message, date, time and sender never translated.

Recognised line starts: ``12/03/2024, 23:42 - Sender: text`` (Android), ``[12/03/2024, 23:42:15]
Sender: text`` (iOS), with ``/ . -`` date separators and optional seconds or AM/PM. A line without
a timestamp continues the message above it (multi-line messages keep their line breaks). A stamped
line with no ``Sender:`` is a system line (``Messages are end-to-end encrypted``, ``X added Y``):
its text is a unit of kind ``system``. A text file is read as a chat when most of its first
stamped-looking lines are stamped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.documents.errors import EMPTY, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput, reassemble
from shared.documents.plaintext import split_lines
from shared.documents.textcodec import DecodedText, decode_text, encode_text

_STAMP = re.compile(
    r"^(\u200e?\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[APap]\.?\s?[Mm]\.?)?\]?"
    r"(?:\s+-\s+|\s+))"
)
_SENDER = re.compile(r"^([^:\n]{1,80}?):\s")


def looks_like_chat(text: str, sample: int = 20) -> bool:
    lines = [line for line, _ in split_lines(text)[:200] if line.strip()][:sample]
    stamped = sum(1 for line in lines if _STAMP.match(line))
    return len(lines) > 0 and stamped >= max(1, (len(lines) + 1) // 2) and bool(_STAMP.match(lines[0]))


def read_chat(data: bytes, decoded: DecodedText | None = None) -> ParsedDocument:
    decoded = decoded or decode_text(data, "chat")
    units = UnitCollector()
    layout: list[str | tuple[int, list[str]]] = []  # kept text, or (unit, line endings)
    message = 0
    current: tuple[list[str], list[str], str, str] | None = None  # lines, endings, kind, sender

    def flush() -> None:
        nonlocal current
        if current is None:
            return
        body, endings, kind, sender = current
        # trailing whitespace stays outside the unit, per line
        joined = "\n".join(body)
        index = units.add_at(joined, {"kind": kind, "message": message, **({"sender": sender} if sender else {})})
        layout.append((index, endings))
        current = None

    for line, ending in split_lines(decoded.text):
        stamp = _STAMP.match(line)
        if stamp is None:
            if current is not None and line.strip():
                current[0].append(line)
                current[1].append(ending)
            else:
                flush()
                layout.append(line + ending)
            continue
        flush()
        message += 1
        rest = line[stamp.end():]
        sender_match = _SENDER.match(rest)
        head = stamp.group(1) + (sender_match.group(0) if sender_match else "")
        text = rest[len(sender_match.group(0)):] if sender_match else rest
        layout.append(head)
        if not text.strip():
            layout.append(text + ending)
            message_kind = None
        else:
            message_kind = "message" if sender_match else "system"
        if message_kind:
            current = ([text], [ending], message_kind, sender_match.group(1) if sender_match else "")
    flush()
    if not units.units:
        raise DocumentError(EMPTY, "the chat export holds no messages")

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        def fill(piece: tuple[int, list[str]]) -> str:
            index, endings = piece
            out_lines = outputs[index].text.split("\n")
            if len(out_lines) != len(endings):  # defensive: keep every line break the source had
                out_lines = [" ".join(out_lines)] + [""] * (len(endings) - 1)
            return "".join(seg + end for seg, end in zip(out_lines, endings, strict=True))

        return encode_text(reassemble(layout, fill), decoded)[0]

    return ParsedDocument("chat", units.units, write, ".txt", {"encoding": decoded.encoding})
