"""SubRip (.srt) and WebVTT (.vtt): cue text translated, numbering, identifiers, timings, settings,
NOTE/STYLE/REGION blocks and line endings untouched.

A cue's text lines form one unit (subtitle sentences run over lines). The translation is laid
back over the same number of lines, broken at the spaces nearest to equal lengths.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.documents.errors import EMPTY, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput, reassemble
from shared.documents.plaintext import split_lines
from shared.documents.textcodec import decode_text, encode_text


def rewrap(text: str, lines: int) -> list[str]:
    """``text`` over ``lines`` lines (fewer if it has fewer words), broken near equal lengths."""
    words = text.split()
    if lines <= 1 or len(words) <= 1:
        return [text]
    out: list[str] = []
    rest = words
    for remaining in range(lines, 1, -1):
        target = len(" ".join(rest)) / remaining
        best, length = 1, len(rest[0])
        while best < len(rest) - (remaining - 1) and length + 1 + len(rest[best]) <= target + 1e-9:
            length += 1 + len(rest[best])
            best += 1
        out.append(" ".join(rest[:best]))
        rest = rest[best:]
        if not rest:
            return out
    out.append(" ".join(rest))
    return out


def read_subtitles(data: bytes, vtt: bool) -> ParsedDocument:
    decoded = decode_text(data, "WebVTT" if vtt else "SubRip")
    lines = split_lines(decoded.text)
    units = UnitCollector()
    layout: list[str | tuple[int, list[str], list[str]]] = []  # kept text, or (unit, source lines, endings)
    i, cue = 0, 0
    while i < len(lines):
        line, ending = lines[i]
        first_word = line.strip().split(" ", 1)[0]
        if vtt and first_word in ("NOTE", "STYLE", "REGION"):
            while i < len(lines) and lines[i][0].strip():
                layout.append(lines[i][0] + lines[i][1])
                i += 1
            continue
        layout.append(line + ending)
        i += 1
        if "-->" not in line:
            continue
        cue += 1
        text_lines: list[str] = []
        endings: list[str] = []
        while i < len(lines) and lines[i][0].strip():
            text_lines.append(lines[i][0].strip())
            endings.append(lines[i][1])
            i += 1
        if text_lines:
            index = units.add(" ".join(text_lines), kind="cue", cue=cue, timing=line.strip())
            layout.append((index, text_lines, endings))
    if not units.units:
        raise DocumentError(EMPTY, "the subtitle file holds no cue text")

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        def fill(piece: tuple[int, list[str], list[str]]) -> str:
            index, source_lines, endings = piece
            text = outputs[index].text
            # an unchanged cue keeps its own line breaks; a translation is laid over as many lines
            same = text == units.units[index].text
            wrapped = source_lines if same else rewrap(text, len(source_lines))
            return "".join(seg + endings[min(k, len(endings) - 1)] for k, seg in enumerate(wrapped))

        return encode_text(reassemble(layout, fill), decoded)[0]

    fmt = "vtt" if vtt else "srt"
    return ParsedDocument(fmt, units.units, write, "." + fmt, {"encoding": decoded.encoding})

