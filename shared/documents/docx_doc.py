"""DOCX: paragraphs in the body, tables (nested too), text boxes, headers, footers, footnotes,
endnotes and comments; runs keep their formatting (bold, italic, underline, font...); lists,
numbering, styles and everything that is not run text are untouched.

Each paragraph's direct runs of plain text form run groups; a run that holds anything else (a
picture, a field, a break, a tab) bounds the groups and stays in place, and a hyperlink's runs
form groups of their own, so one paragraph may give several units. A group is one unit; runs
whose formatting differs from the group's first run become `InlineSpan`s, so a translation that
keeps the span markers gets its bold or italic words back on the right words. Without spans back,
the text takes the first run's formatting. Parts python-docx does not model (footnotes, endnotes)
are edited as XML.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from lxml import etree

from shared.documents.errors import CORRUPT, EMPTY, ENCRYPTED, TOO_LARGE, DocumentError
from shared.documents.model import InlineSpan, ParsedDocument, UnitCollector, UnitOutput

MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # the XML python-docx would hold in memory
_TEXT_PARTS = ("document.main", "header", "footer", "footnotes", "endnotes", "comments")
_CT_PREFIX = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_R, _T, _RPR = qn("w:r"), qn("w:t"), qn("w:rPr")
_SPLITTERS = {qn("w:br"), qn("w:tab"), qn("w:cr")}
_CONTAINERS = {qn("w:p"), qn("w:hyperlink"), qn("w:smartTag"), qn("w:ins"), qn("w:fldSimple")}
_TRANSPARENT = {qn("w:proofErr"), qn("w:bookmarkStart"), qn("w:bookmarkEnd"), qn("w:commentRangeStart"),
                qn("w:commentRangeEnd"), qn("w:permStart"), qn("w:permEnd")}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _open(data: bytes) -> Any:
    import docx

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(ENCRYPTED, "the DOCX file is password-protected (an encrypted OLE container)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError(CORRUPT, "the DOCX file is not a valid Office (ZIP) container")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(TOO_LARGE, f"the DOCX file unpacks to {unpacked} bytes, over the "
                                       f"{MAX_UNPACKED_BYTES}-byte limit (a ZIP bomb?)")
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, XMLSyntaxError, PackageNotFoundError...
        raise DocumentError(CORRUPT, f"the DOCX file does not open: {type(exc).__name__}") from exc


def _split_mixed_runs(container: Any) -> None:
    """Cut runs holding text and breaks/tabs into one run per piece (renders the same)."""
    for run in [c for c in container if c.tag == _R]:
        kids = [k for k in run if k.tag != _RPR]
        if len(kids) <= 1 or not all(k.tag == _T or k.tag in _SPLITTERS for k in kids):
            continue
        rpr = run.find(_RPR)
        anchor = run
        for kid in kids:
            new = OxmlElement("w:r")
            if rpr is not None:
                new.append(copy.deepcopy(rpr))
            new.append(kid)
            anchor.addnext(new)
            anchor = new
        run.getparent().remove(run)


def _containers(para: Any) -> list[Any]:
    """The paragraph and the run containers inside it (hyperlinks, insertions...), not nested paragraphs."""
    out, todo = [], [para]
    while todo:
        el = todo.pop(0)
        out.append(el)
        todo.extend(c for c in el if c.tag in _CONTAINERS and c.tag != qn("w:p"))
    return out


def _is_text_run(el: Any) -> bool:
    return el.tag == _R and all(k.tag in (_RPR, _T) for k in el) and el.find(_T) is not None


def _style_key(run: Any) -> str:
    rpr = run.find(_RPR)
    return "" if rpr is None else etree.tostring(rpr, encoding="unicode")


class _Group:
    def __init__(self, runs: list[Any]) -> None:
        self.runs = runs
        self.texts = ["".join(t.text or "" for t in r.iter(_T)) for r in runs]
        self.styles = [_style_key(r) for r in runs]


def _groups(container: Any) -> list[_Group]:
    out: list[_Group] = []
    cur: list[Any] = []
    for child in container:
        if _is_text_run(child):
            cur.append(child)
        elif child.tag in _TRANSPARENT:
            continue
        else:
            if cur:
                out.append(_Group(cur))
            cur = []
    if cur:
        out.append(_Group(cur))
    return out


def read_docx(data: bytes) -> ParsedDocument:
    units, _, _, _ = _parse(data)

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        # parse again: each write starts from the original bytes (the tree is edited in place)
        _, document, groups, xml_parts = _parse(data)
        for (group, table), out in zip(groups, outputs, strict=True):
            _rewrite(group, table, out)
        for part, element in xml_parts:
            part._blob = etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)
        buf = io.BytesIO()
        document.save(buf)
        return buf.getvalue()

    return ParsedDocument("docx", units, write, ".docx")


def _parse(data: bytes) -> tuple[list[Any], Any, list[tuple[_Group, dict[str, Any]]], list[tuple[Any, Any]]]:
    document = _open(data)
    units = UnitCollector()
    groups: list[tuple[_Group, dict[str, Any]]] = []  # (group, style table) by unit index
    xml_parts: list[tuple[Any, Any]] = []  # (part, parsed element) for parts python-docx keeps as blobs
    for part in document.part.package.iter_parts():
        ct = str(part.content_type)
        if not ct.startswith(_CT_PREFIX) or not any(ct[len(_CT_PREFIX):].startswith(p) for p in _TEXT_PARTS):
            continue
        element = getattr(part, "element", None)
        if element is None:
            element = parse_xml(part.blob)
            xml_parts.append((part, element))
        name = str(part.partname).lstrip("/")
        for p_index, para in enumerate(element.iter(qn("w:p"))):
            containers = _containers(para)
            for container in containers:
                _split_mixed_runs(container)
            g_index = 0
            for container in containers:
                for group in _groups(container):
                    text = "".join(group.texts)
                    if not text.strip():
                        continue
                    spans, pos = [], 0
                    for t, style in zip(group.texts, group.styles, strict=True):
                        if style != group.styles[0] and t:
                            spans.append(InlineSpan(pos, pos + len(t), style))
                        pos += len(t)
                    units.add(text, spans=tuple(_merge(spans)), kind="paragraph", part=name, paragraph=p_index,
                              group=g_index)
                    groups.append((group, {s: r.find(_RPR) for s, r in zip(group.styles, group.runs,
                                                                              strict=True)}))
                    g_index += 1
    if not units.units:
        raise DocumentError(EMPTY, "the DOCX file holds no text")
    return units.units, document, groups, xml_parts


def _merge(spans: list[InlineSpan]) -> list[InlineSpan]:
    out: list[InlineSpan] = []
    for s in spans:
        if out and out[-1].end == s.start and out[-1].style == s.style:
            out[-1] = InlineSpan(out[-1].start, s.end, s.style)
        else:
            out.append(s)
    return out


def _rewrite(group: _Group, table: dict[str, Any], out: UnitOutput) -> None:
    """Replace the group's runs with runs for ``out`` (base formatting, spans formatted as theirs)."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    for span in sorted(out.spans, key=lambda s: s.start):
        if span.start < pos:
            continue
        pieces.append((out.text[pos:span.start], group.styles[0]))
        pieces.append((out.text[span.start:span.end], span.style))
        pos = span.end
    pieces.append((out.text[pos:], group.styles[0]))
    first = group.runs[0]
    anchor = None
    for text, style in pieces:
        if not text:
            continue
        run = OxmlElement("w:r")
        rpr = table.get(style)
        if rpr is not None:
            run.append(copy.deepcopy(rpr))
        t = OxmlElement("w:t")
        run.append(t)
        t.text = text
        t.set(_XML_SPACE, "preserve")
        (first.addprevious if anchor is None else anchor.addnext)(run)
        anchor = run
    for old in group.runs:
        old.getparent().remove(old)
