"""XLSX: every cell holding text is a unit; formulas, numbers, dates, booleans, errors, sheet names,
styles, merged cells, column widths, number formats and defined names are left as they are.

openpyxl reads and writes the workbook. What openpyxl does not carry through a load and save
(pictures, charts, shapes, form controls) is not in the translated copy: the reader lists those
parts in ``info["not_kept"]`` (and so in ``translation.json`` and the bilingual header) rather than
dropping them silently. Rich text inside one cell is read as plain text: the cell keeps its own
formatting, formatted words inside it take the cell's. A translated text that would read as a
formula (starting with ``=``) is stored as text, never as a formula.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Sequence
from typing import Any

from shared.documents.errors import CORRUPT, ENCRYPTED, TOO_LARGE, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
_NOT_KEPT = (("xl/drawings/", "drawings"), ("xl/charts/", "charts"), ("xl/media/", "pictures"),
             ("xl/ctrlProps/", "form controls"), ("xl/vbaProject", "macros"))


def _open(data: bytes) -> tuple[Any, list[str]]:
    from openpyxl import load_workbook

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(ENCRYPTED, "the XLSX file is password-protected (an encrypted OLE container)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError(CORRUPT, "the XLSX file is not a valid Office (ZIP) container")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(TOO_LARGE, f"the XLSX file unpacks to {unpacked} bytes, over the "
                                       f"{MAX_UNPACKED_BYTES}-byte limit (a ZIP bomb?)")
    names = [i.filename for i in infos]
    if "xl/workbook.xml" not in names:
        raise DocumentError(CORRUPT, "the file is a ZIP container but not an Excel workbook")
    not_kept = [what for prefix, what in _NOT_KEPT if any(n.startswith(prefix) for n in names)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
            return load_workbook(io.BytesIO(data), data_only=False), not_kept
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML errors, InvalidFileException...
        raise DocumentError(CORRUPT, f"the XLSX file does not open: {type(exc).__name__}") from exc


def read_xlsx(data: bytes) -> ParsedDocument:
    workbook, not_kept = _open(data)
    units = UnitCollector()
    cells: list[Any] = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "s" and isinstance(cell.value, str) and cell.value.strip():
                    units.add(cell.value, kind="cell", sheet=sheet.title, cell=cell.coordinate)
                    cells.append(cell)

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        for cell, out in zip(cells, outputs, strict=True):
            if out.text != cell.value:
                cell.value = out.text
                cell.data_type = "s"  # a text starting with "=" stays text
        buf = io.BytesIO()
        workbook.save(buf)
        return buf.getvalue()

    info = {"sheets": str(len(workbook.worksheets))}
    if not_kept:
        info["not_kept"] = ", ".join(not_kept)
    return ParsedDocument("xlsx", units.units, write, ".xlsx", info)
