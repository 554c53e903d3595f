"""HTML: only text nodes are translated; every tag, attribute, comment, doctype, script and style is
written back byte for byte.

The file is cut into markup and text with a small tokenizer (no re-serialisation by a parser, so
nothing is normalised). Entities in a text node are decoded for translation and a changed node is
re-escaped (``& < >``); an unchanged node keeps its raw bytes. Text inside ``script``, ``style``,
``code``, ``pre``, ``textarea``... is not translated. Limit: each text node is one unit, so a
sentence split by inline markup (``<b>``) is translated in pieces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from shared.documents.errors import EMPTY, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput, reassemble
from shared.documents.textcodec import DecodedText, decode_text, encode_text

_TOKEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>|</?[A-Za-z][^<>]*>", re.S)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9:-]*)")
_RAW = ("script", "style", "code", "pre", "textarea", "kbd", "samp", "var", "svg", "math", "template")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.I)


def read_html(data: bytes, trust_meta: bool = True) -> ParsedDocument:
    declared = _META_CHARSET.search(data[:4096]) if trust_meta else None
    decoded = None
    if declared:
        try:
            decoded = DecodedText(data.decode(declared.group(1).decode()), declared.group(1).decode(), False)
        except (LookupError, UnicodeDecodeError):
            decoded = None
    decoded = decoded or decode_text(data, "HTML")
    text = decoded.text
    units = UnitCollector()
    layout: list[str | tuple[int, str]] = []
    skip: list[str] = []
    pos, node = 0, 0
    for m in _TOKEN.finditer(text):
        _text_node(text[pos:m.start()], skip, units, layout, node)
        node += 1
        tag = m.group(0)
        layout.append(tag)
        name = _TAG_NAME.match(tag)
        if name:
            lowered = name.group(1).lower()
            if lowered in _RAW and not tag.endswith("/>"):
                if tag.startswith("</"):
                    if lowered in skip:
                        del skip[len(skip) - 1 - skip[::-1].index(lowered)]
                else:
                    skip.append(lowered)
        pos = m.end()
    _text_node(text[pos:], skip, units, layout, node)
    if not text.strip():
        raise DocumentError(EMPTY, "the HTML file is empty")

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        def fill(piece: tuple[int, str]) -> str:
            index, raw = piece
            new = outputs[index].text
            return raw if new == units.units[index].text else _reescape(raw, new)

        return encode_text(reassemble(layout, fill), decoded)[0]

    return ParsedDocument("html", units.units, write, ".html", {"encoding": decoded.encoding})


def _text_node(raw: str, skip: list[str], units: UnitCollector, layout: list[str | tuple[int, str]],
               node: int) -> None:
    if not raw:
        return
    value = html.unescape(raw)
    if skip or not value.strip():
        layout.append(raw)
        return
    core = value.strip()
    index = units.add(core, kind="text_node", node=node)
    layout.append((index, raw))


def _reescape(raw: str, new: str) -> str:
    """The raw node with its text replaced by ``new``, its surrounding whitespace kept."""
    lead = raw[: len(raw) - len(raw.lstrip())]
    trail = raw[len(raw.rstrip()):]
    return lead + html.escape(new, quote=False) + trail
