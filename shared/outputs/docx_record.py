"""The transcript as a Word document laid out as an interview record.

Deterministic: core properties and every zip entry's date come from the transcript's ``created_at``,
so rendering the same transcript twice gives byte-identical files.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from shared.outputs.languages import language_name
from shared.outputs.layout import (
    DISCLAIMER,
    NO_SPEECH,
    header_fields,
    is_rtl,
    joined_text,
    line_text,
    paired_rows,
    segment_speaker,
    timestamp,
    track_prefix,
    translation_title,
)

TITLE = "Transcript of recording"
AUTHOR = "TOEX Transcribe & Translate"


def _created(t: dict[str, Any]) -> datetime:
    """``created_at`` as a naive UTC datetime (what python-docx writes as W3CDTF ``...Z``)."""
    dt = datetime.fromisoformat(t["created_at"])
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.replace(microsecond=0)


def _add_text(p: Paragraph, text: str, bold: bool = False) -> None:
    """A run of ``text``; right-to-left scripts get a bidi paragraph and an RTL run."""
    run = p.add_run(text)
    if bold:
        run.bold = True
    if is_rtl(text):
        run.font.rtl = True
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p_pr = p._p.get_or_add_pPr()
        if p_pr.find(qn("w:bidi")) is None:
            p_pr.append(OxmlElement("w:bidi"))


def _cell(cell: _Cell, text: str, bold: bool = False, width: Cm | None = None) -> None:
    if width is not None:
        cell.width = width
    _add_text(cell.paragraphs[0], text, bold)


def _new_row(table: Table) -> list[_Cell]:
    """Append a row; its cells read from the row itself (``row.cells`` rebuilds the whole grid: O(n²))."""
    row = table.add_row()
    return [_Cell(tc, table) for tc in row._tr.tc_lst]


def _field(p: Paragraph, instr: str) -> None:
    """A simple Word field (PAGE, NUMPAGES) that Word computes when it lays out the page."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r, t = OxmlElement("w:r"), OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite the package with fixed entry dates/attributes so the bytes are reproducible."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _speaker_table(doc: Any, t: dict[str, Any], overlay: dict[str, Any] | None) -> None:
    """The diarized record: Time | Speaker | Text, and the translation beside it when there is one."""
    tr = t["translation"]
    titles: list[str]
    widths: list[Cm]
    rows: list[tuple[dict[str, Any], list[dict[str, Any]] | None]]
    if tr is None:
        titles, widths = ["Time", "Speaker", "Text"], [Cm(3.2), Cm(3.0), Cm(10.4)]
        rows = [(s, None) for s in t["segments"]]
    else:
        titles = ["Time", "Speaker", f"Original ({language_name(t['language'])})", language_name(tr["language"])]
        widths = [Cm(3.2), Cm(2.6), Cm(5.4), Cm(5.4)]
        rows = [(s, list(translated)) for s, translated in paired_rows(t)]
    table = doc.add_table(rows=1, cols=len(titles))
    table.style = "Table Grid"
    for cell, title, width in zip(table.rows[0].cells, titles, widths, strict=True):
        _cell(cell, title, bold=True, width=width)
    for seg, translated in rows:
        cells = _new_row(table)
        when = f"{timestamp(seg['start'])}\n{timestamp(seg['end'])}"
        tag = track_prefix(t, seg).rstrip(": ")
        _cell(cells[0], f"{when}\n{tag}" if tag else when, width=widths[0])
        _cell(cells[1], segment_speaker(seg, overlay) or "", bold=True, width=widths[1])
        _cell(cells[2], line_text(seg["text"]), width=widths[2])
        if translated is not None:
            _cell(cells[3], joined_text(translated), width=widths[3])
    if not t["segments"]:
        doc.add_paragraph(NO_SPEECH)


def _paragraphs(doc: Any, t: dict[str, Any]) -> None:
    """The record without speakers: one timestamped paragraph per segment."""
    doc.add_heading("Transcript", level=1)
    if not t["segments"]:
        doc.add_paragraph(NO_SPEECH)
    for s in t["segments"]:
        p = doc.add_paragraph()
        p.add_run(f"[{timestamp(s['start'])} – {timestamp(s['end'])}] {track_prefix(t, s)}").bold = True
        _add_text(p, line_text(s["text"]))


def render_docx(t: dict[str, Any], overlay: dict[str, Any] | None = None) -> bytes:
    """The record; a diarized transcript is one Time | Speaker | Text (| translation) table."""
    created = _created(t)
    doc = Document()
    props = doc.core_properties
    props.title = f"{TITLE}: {t['source']['name']}"
    props.subject = t["job_id"]
    props.author = props.last_modified_by = AUTHOR
    props.comments = "Machine transcript; check against the original recording."
    props.created = props.modified = created
    props.revision = 1
    doc.styles["Normal"].font.size = Pt(10)

    doc.add_heading(TITLE, level=0)
    header = doc.add_table(rows=0, cols=2)
    header.style = "Table Grid"
    for label, value in header_fields(t, overlay):
        cells = _new_row(header)
        _cell(cells[0], label, bold=True, width=Cm(4.5))
        _cell(cells[1], value, width=Cm(12))

    tr = t["translation"]
    if t.get("diarization"):
        doc.add_heading("Transcript" if tr is None else f"Original and {translation_title(t)}", level=1)
        _speaker_table(doc, t, overlay)
        tr = None  # already beside the original
    else:
        _paragraphs(doc, t)

    if tr is not None:
        doc.add_heading(f"Original and {translation_title(t)}", level=1)
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        widths = (Cm(3.2), Cm(6.7), Cm(6.7))
        titles = ("Time", f"Original ({language_name(t['language'])})", language_name(tr["language"]))
        for cell, title, width in zip(table.rows[0].cells, titles, widths, strict=True):
            _cell(cell, title, bold=True, width=width)
        for seg, translated in paired_rows(t):
            cells = _new_row(table)
            when = f"{timestamp(seg['start'])}\n{timestamp(seg['end'])}"
            tag = track_prefix(t, seg).rstrip(": ")
            _cell(cells[0], f"{when}\n{tag}" if tag else when, width=widths[0])
            _cell(cells[1], line_text(seg["text"]), width=widths[1])
            _cell(cells[2], joined_text(translated), width=widths[2])
        if not t["segments"]:
            doc.add_paragraph(NO_SPEECH)

    closing = doc.add_paragraph()
    closing.add_run(DISCLAIMER).italic = True

    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{t['source']['name']} — page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")

    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue(), created)
