"""``<stem>.bilingual.docx``: source | translation side by side, one row per segment.

The header names the source and its SHA-256, the languages, the model, the date, the characters
translated, the glossary and every warning (a protected span or glossary term the model lost),
and lists the passages left untranslated with their language. Deterministic for the same report.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from docx import Document
from docx.shared import Pt

from shared.outputs.languages import language_name

_STATUS_NOTE = {"kept_target_language": "already in the target language, left as it is",
                "kept_no_model": "not translated: no model for this language",
                "kept_no_text": "no text to translate"}


def _loc(location: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in location.items() if k != "kind")


def render_bilingual(report: dict[str, Any]) -> bytes:
    doc = Document()
    created = datetime.fromisoformat(report["created_at"]).replace(tzinfo=None, microsecond=0)
    doc.core_properties.created = created
    doc.core_properties.modified = created
    doc.core_properties.title = "Bilingual translation record"
    doc.core_properties.author = "TOEX Transcribe & Translate"
    doc.add_heading("Translation of a document", level=1)
    src, model = report["source"], report["model"]
    langs = ", ".join(f"{language_name(c)} ({c})" for c in report["languages"]) or "none identified"
    rows = [("Source", src["name"]), ("Source SHA-256", src["sha256"]), ("Format", src["format"]),
            ("Languages found", langs),
            ("Translated into", f"{language_name(report['target_language'])} ({report['target_language']})"),
            ("Model", f"{model.get('name', '?')} (SHA-256 {model.get('sha256', '?')})"),
            ("Date", report["created_at"]),
            ("Characters translated", str(report["characters_translated"])),
            ("Characters left as they are", str(report["characters_kept"]))]
    if report.get("glossary"):
        g = report["glossary"]
        applied = ", ".join(f"{t} ×{n}" for t, n in g["applied"].items()) or "none"
        rows.append(("Glossary", f"SHA-256 {g['sha256']}; terms applied: {applied}"))
    if src.get("reader", {}).get("not_kept"):
        rows.append(("Not in the translated copy", src["reader"]["not_kept"]))
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for k, v in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = k, v
    if report["warnings"]:
        doc.add_heading("Warnings", level=2)
        for w in report["warnings"]:
            what = w.get("term") or w.get("text") or ""
            doc.add_paragraph(f"{w['code']}: {what} ({_loc(w['location'])})", style="List Bullet")
    if report["skipped"]:
        doc.add_heading("Not translated", level=2)
        for s in report["skipped"]:
            lang = s.get("language")
            doc.add_paragraph(f"{_loc(s['location'])}: {s['reason']}"
                              + (f" ({language_name(lang)}, {lang})" if lang else ""), style="List Bullet")
    doc.add_heading("Text", level=2)
    grid = doc.add_table(rows=1, cols=2)
    grid.style = "Table Grid"
    grid.rows[0].cells[0].text = "Source"
    grid.rows[0].cells[1].text = f"Translation ({report['target_language']})"
    for seg in report["segments"]:
        cells = grid.add_row().cells
        cells[0].text = seg["source"]
        note = _STATUS_NOTE.get(seg["status"])
        cells[1].text = seg["translation"] if note is None else f"{seg['translation']}\n[{note}]"
        for cell in cells:
            for p in cell.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(10)
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue(), created)


def _normalise_zip(data: bytes, when: datetime) -> bytes:
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
