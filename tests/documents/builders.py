"""Test documents of every format, built in code (python-docx, fpdf2, plain bytes)."""

from __future__ import annotations

import io
from pathlib import Path

PT = "O agente viu o carro azul ontem à noite."
PT2 = "Ele ligou para a polícia às 23:42 do dia 12/03/2024."
EN = "The officer saw the blue car near the station last night."


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    p = d.add_paragraph("O agente viu o ")
    r = p.add_run("carro")
    r.bold = True
    p.add_run(" azul ontem à noite, perto da ")
    r = p.add_run("estação")
    r.italic = True
    p.add_run(".")
    d.add_paragraph("Ele saiu de casa.", style="List Bullet")
    d.add_paragraph(EN)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "A mulher saiu de casa."
    t.cell(0, 1).text = "MG/12/003"
    t.cell(1, 0).text = "O vizinho ligou para a polícia."
    t.cell(1, 1).text = "12/03/2024"
    d.sections[0].header.paragraphs[0].text = "Documento da polícia de Lisboa"
    d.sections[0].footer.paragraphs[0].text = "Página um"
    p = d.add_paragraph("Primeira linha")
    p.add_run().add_break()
    p.add_run("Segunda linha")
    d.save(path)
    return path


def make_pdf(path: Path, text_pages: list[list[str]] | None = None, password: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for page in text_pages if text_pages is not None else [[PT, "Ele saiu de casa."], ["A mulher ligou."]]:
        pdf.add_page()
        for para in page:
            pdf.multi_cell(0, 8, para)
            pdf.ln(8)
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A PDF whose only page is an image (no text layer), like a scan."""
    from fpdf import FPDF
    from PIL import Image

    img = Image.new("RGB", (200, 100), "white")
    for x in range(20, 180):
        img.putpixel((x, 50), (0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=100)
    pdf.output(str(path))
    return path


SRT = ("1\r\n00:00:01,000 --> 00:00:02,500\r\nO agente viu o carro\r\nazul ontem à noite.\r\n\r\n"
       "2\r\n00:00:03,000 --> 00:00:04,200\r\nEle saiu de casa.\r\n")
VTT = ("WEBVTT\n\nNOTE gravado pela polícia\n\nc1\n00:00:01.000 --> 00:00:02.500 align:start\n"
       "<v Maria>O agente viu o carro azul.\n\n00:00:03.000 --> 00:00:04.000\nEle saiu de casa.\n")
CHAT = ("12/03/2024, 23:40 - As mensagens e as chamadas são protegidas com a criptografia.\n"
        "12/03/2024, 23:42 - Maria Silva: Onde você está agora? Eu estou em casa\n"
        "com a minha mãe e o meu irmão.\n"
        "12/03/2024, 23:43 - João: ok\n"
        "[12/03/2024, 23:44:05] João: Vou chegar amanhã de manhã com o carro.\n")
HTML = ('<!DOCTYPE html><html lang="pt"><head><meta charset="utf-8"><title>Carta da polícia</title>'
        '<style>p { color: red; }</style></head><body>\n<p class="x" title="não traduzir">'
        "O agente viu o carro azul ontem.</p>\n<p>Veja https://exemplo.pt/caso &amp; ligue.</p>"
        "<script>var a = 'não';</script></body></html>\n")
EML = ("From: Maria <maria@exemplo.pt>\r\nTo: agente@policia.pt\r\nSubject: O carro azul da rua\r\n"
       "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\n"
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       "O agente viu o carro azul ontem.\r\nEle saiu de casa.\r\n--XYZ\r\n"
       "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--XYZ--\r\n")
CSV = "nome;descrição;data\r\nMaria;O agente viu o carro azul;12/03/2024\r\nJoão;\"Ele saiu; de casa\";\r\n"


def make_xlsx(path: Path) -> Path:
    """Two sheets: text cells, a formula, a number, a date, a boolean, a merged header, a number format."""
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Apreensões"
    ws["A1"] = "Lista de objetos apreendidos"
    ws["A1"].font = Font(bold=True)
    ws.merge_cells("A1:C1")
    ws.append(["objeto", "valor", "data"])
    ws.append(["O telemóvel estava no bolso do casaco.", 150, datetime(2024, 3, 12, 23, 42)])
    ws.append(["A carteira tinha dois cartões.", 20.5, datetime(2024, 3, 13)])
    ws["B5"] = "=SUM(B3:B4)"
    ws["B3"].number_format = "#,##0.00 €"
    ws["D3"] = True
    ws["E3"] = "MG/12/003"
    ws.column_dimensions["A"].width = 44
    other = wb.create_sheet("Notas")
    other["A1"] = "A testemunha chegou às dez horas."
    other["B1"] = "='Apreensões'!B5*2"
    wb.save(path)
    return path
