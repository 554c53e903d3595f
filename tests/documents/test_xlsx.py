"""XLSX: text cells are the units; formulas, numbers, dates, booleans, styles and sheets stay."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shared.documents.errors import CORRUPT, ENCRYPTED, WRONG_EXTENSION, DocumentError
from shared.documents.formats import read_document
from shared.documents.model import UnitOutput
from tests.documents.builders import make_docx, make_xlsx


def test_text_cells_only_and_everything_else_kept(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "a.xlsx")
    original = src.read_bytes()
    doc, _ = read_document(src)
    assert [(u.location["sheet"], u.location["cell"]) for u in doc.units] == [
        ("Apreensões", "A1"), ("Apreensões", "A2"), ("Apreensões", "B2"), ("Apreensões", "C2"),
        ("Apreensões", "A3"), ("Apreensões", "E3"), ("Apreensões", "A4"), ("Notas", "A1")]
    outputs = [UnitOutput("=1+1" if u.location["cell"] == "A4" else u.text.upper()) for u in doc.units]
    out = tmp_path / "a.en.xlsx"
    out.write_bytes(doc.write(outputs))
    assert src.read_bytes() == original
    wb = load_workbook(out)
    assert wb.sheetnames == ["Apreensões", "Notas"]
    ws = wb["Apreensões"]
    assert ws["A1"].value == "LISTA DE OBJETOS APREENDIDOS" and ws["A1"].font.bold
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:C1"]
    assert (ws["B3"].value, ws["B3"].number_format, ws["B4"].value) == (150, "#,##0.00 €", 20.5)
    assert (ws["C3"].value, ws["C4"].value) == (datetime(2024, 3, 12, 23, 42), datetime(2024, 3, 13))
    assert (ws["B5"].value, ws["B5"].data_type) == ("=SUM(B3:B4)", "f")
    assert ws["D3"].value is True and ws["E3"].value == "MG/12/003"
    assert (ws["A4"].value, ws["A4"].data_type) == ("=1+1", "s")  # a text never becomes a formula
    assert ws.column_dimensions["A"].width == 44
    assert wb["Notas"]["B1"].value == "='Apreensões'!B5*2"
    assert "not_kept" not in doc.info and doc.info["sheets"] == "2"


def test_pictures_are_listed_as_not_kept(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from PIL import Image as PILImage

    PILImage.new("RGB", (4, 4), "white").save(tmp_path / "p.png")
    wb = Workbook()
    wb.active["A1"] = "O carro azul."
    wb.active.add_image(Image(str(tmp_path / "p.png")), "B2")
    wb.save(tmp_path / "pic.xlsx")
    doc, _ = read_document(tmp_path / "pic.xlsx")
    assert doc.info["not_kept"] == "drawings, pictures"


def test_bad_workbooks(tmp_path: Path) -> None:
    cases = {"corrupt.xlsx": (b"PK\x03\x04" + bytes(64), CORRUPT),
             "locked.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), ENCRYPTED),
             "pdf.xlsx": (b"%PDF-1.7\n" + bytes(64), WRONG_EXTENSION)}
    make_docx(tmp_path / "word.docx")
    for name, (data, code) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DocumentError) as e:
            read_document(tmp_path / name)
        assert e.value.code == code, name
    (tmp_path / "word.xlsx").write_bytes((tmp_path / "word.docx").read_bytes())
    with pytest.raises(DocumentError) as e:
        read_document(tmp_path / "word.xlsx")
    assert e.value.code == CORRUPT and "not an Excel workbook" in e.value.message
    assert zipfile.is_zipfile(tmp_path / "word.xlsx")
