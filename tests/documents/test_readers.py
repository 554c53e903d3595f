"""Readers keep structure: each file's units are where the text is, and writing the units back
reproduces the file (byte for byte for text formats)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from shared.documents.formats import read_document
from shared.documents.model import UnitOutput
from tests.documents.builders import CHAT, CSV, EML, EN, HTML, PT, PT2, SRT, VTT, make_docx, make_pdf

TEXT = f"{PT}\r\n\r\n  {PT2}\r\n{EN}\r\n"


@pytest.mark.parametrize("text,encoding", [
    ("Полицейский видел синюю машину вчера вечером.\r\nОн ушёл.\r\n", "utf-16-le"),
    ("رأى الشرطي السيارة الزرقاء أمس.\n", "utf-16-be"),
])
def test_utf16_without_bom_in_other_scripts(tmp_path: Path, text: str, encoding: str) -> None:
    f = tmp_path / "u.txt"
    f.write_bytes(text.encode(encoding))
    doc, data = read_document(f)
    assert doc.info["encoding"] == encoding and doc.units[0].text == text.splitlines()[0]
    assert doc.write_source() == data


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-le", b""),
    ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-be", b""), ("cp1252", b""),
])
def test_text_encodings_round_trip(tmp_path: Path, encoding: str, bom: bytes) -> None:
    data = bom + TEXT.encode(encoding)
    f = tmp_path / "s.txt"
    f.write_bytes(data)
    doc, _ = read_document(f)
    assert [u.text for u in doc.units] == [PT, PT2, EN]
    assert [u.location["line"] for u in doc.units] == [1, 3, 4]
    assert doc.write_source() == data  # BOM, CRLF, blank line and indent kept


@pytest.mark.parametrize("encoding,text", [
    ("cp1250", "Policjant widział niebieski samochód wczoraj wieczorem. Żółć."),
    ("iso-8859-2", "Policjant widział niebieski samochód wczoraj wieczorem, łódź. Ściana, ąę."),
    ("cp1251", "Полицейский видел синюю машину вчера вечером."),
    ("koi8-r", "Полицейский видел синюю машину вчера вечером."),
    ("cp1253", "Ο αστυνομικός είδε το μπλε αυτοκίνητο χθες."),
    ("cp1252", "L'agent a vu la voiture bleue hier soir à côté de la gare."),
    ("cp1252", PT),
    ("cp1254", "Polis memuru dün gece mavi arabayı gördü. Şişli, ğüı."),
    ("iso-8859-2", "A rendőr tegnap este látta a kék autót. Őrült, űr."),
    ("cp1257", "Policininkas vakar vakare matė mėlyną automobilį."),
    ("cp1250", "Poliţistul a văzut maşina albastră aseară."),
])
def test_legacy_code_pages_detected(tmp_path: Path, encoding: str, text: str) -> None:
    f = tmp_path / "legacy.txt"
    f.write_bytes((text + "\n").encode(encoding))
    doc, data = read_document(f)
    assert doc.units[0].text == text
    assert doc.write_source() == data


def test_translation_replaces_only_unit_text(tmp_path: Path) -> None:
    f = tmp_path / "s.txt"
    f.write_bytes(TEXT.encode("utf-16-le"))
    doc, _ = read_document(f)
    out = doc.write([UnitOutput(f"<{k}>") for k in range(len(doc.units))]).decode("utf-16-le")
    assert out == "<0>\r\n\r\n  <1>\r\n<2>\r\n"


def test_markdown_keeps_markers_code_and_tables(tmp_path: Path) -> None:
    src = ("# Relatório\n\n- O carro azul.\n> Citação dele\n\n```\nnão traduzir\n```\n"
           "| a | b |\n|---|---|\n| casa | rua |\n")
    f = tmp_path / "r.md"
    f.write_text(src, encoding="utf-8")
    doc, data = read_document(f)
    assert [u.text for u in doc.units] == ["Relatório", "O carro azul.", "Citação dele", "a", "b", "casa", "rua"]
    assert doc.write_source() == data
    out = doc.write([UnitOutput(u.text.upper()) for u in doc.units]).decode()
    assert "# RELATÓRIO\n" in out and "- O CARRO AZUL.\n" in out and "não traduzir" in out and "| CASA | RUA |" in out


def test_subtitles_keep_numbering_and_timings(tmp_path: Path) -> None:
    for name, src in (("s.srt", SRT), ("s.vtt", VTT)):
        f = tmp_path / name
        f.write_text(src, encoding="utf-8", newline="")
        doc, data = read_document(f)
        assert doc.write_source() == data
        out = doc.write([UnitOutput("um dois três quatro") for _ in doc.units]).decode()
        timing_lines = [ln for ln in src.splitlines() if "-->" in ln]
        assert [ln for ln in out.splitlines() if "-->" in ln] == timing_lines
    srt, _ = read_document(tmp_path / "s.srt")
    assert srt.units[0].text == "O agente viu o carro azul ontem à noite."
    out = srt.write([UnitOutput("um dois três quatro"), UnitOutput("cinco")]).decode()
    assert out.startswith("1\r\n00:00:01,000 --> 00:00:02,500\r\num dois\r\ntrês quatro\r\n\r\n2\r\n")
    vtt, _ = read_document(tmp_path / "s.vtt")
    assert [u.location["cue"] for u in vtt.units] == [1, 2]
    assert "NOTE gravado pela polícia" in vtt.write([UnitOutput("x"), UnitOutput("y")]).decode()


def test_chat_export_messages_senders_and_system_lines(tmp_path: Path) -> None:
    f = tmp_path / "chat.txt"
    f.write_text(CHAT, encoding="utf-8")
    doc, data = read_document(f)
    assert doc.format == "chat"
    kinds = [(u.location["kind"], u.location.get("sender")) for u in doc.units]
    assert kinds == [("system", None), ("message", "Maria Silva"), ("message", "João"), ("message", "João")]
    assert doc.units[1].text == "Onde você está agora? Eu estou em casa\ncom a minha mãe e o meu irmão."
    assert doc.write_source() == data
    out = doc.write([UnitOutput("S"), UnitOutput("A\nB"), UnitOutput("C"), UnitOutput("D")]).decode()
    assert out == ("12/03/2024, 23:40 - S\n12/03/2024, 23:42 - Maria Silva: A\nB\n12/03/2024, 23:43 - João: C\n"
                   "[12/03/2024, 23:44:05] João: D\n")


def test_html_text_nodes_only(tmp_path: Path) -> None:
    f = tmp_path / "p.html"
    f.write_text(HTML, encoding="utf-8")
    doc, data = read_document(f)
    assert [u.text for u in doc.units] == ["Carta da polícia", "O agente viu o carro azul ontem.",
                                           "Veja https://exemplo.pt/caso & ligue."]
    assert doc.write_source() == data
    out = doc.write([UnitOutput("T"), UnitOutput("A < B"), UnitOutput("C & D")]).decode()
    assert '<p class="x" title="não traduzir">A &lt; B</p>' in out
    assert "<script>var a = 'não';</script>" in out and "<title>T</title>" in out and "C &amp; D" in out


def test_eml_subject_and_text_parts(tmp_path: Path) -> None:
    f = tmp_path / "m.eml"
    f.write_bytes(EML.encode("utf-8"))
    doc, data = read_document(f)
    assert [u.text for u in doc.units] == ["O carro azul da rua", "O agente viu o carro azul ontem.",
                                           "Ele saiu de casa."]
    assert doc.write_source() == data
    out = doc.write([UnitOutput("The blue car"), UnitOutput("One."), UnitOutput("Two.")])
    import email
    from email import policy

    msg = email.message_from_bytes(out, policy=policy.default)
    assert msg["Subject"] == "The blue car" and msg["From"] == "Maria <maria@exemplo.pt>"
    parts = list(msg.walk())
    assert parts[1].get_content().splitlines() == ["One.", "Two."]
    assert parts[2].get_payload(decode=True) == b"\x00\x01\x02\x03"


def test_csv_cells_and_delimiter(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text(CSV, encoding="utf-8", newline="")
    doc, data = read_document(f)
    assert doc.info["delimiter"] == ";"
    assert doc.units[4].text == "O agente viu o carro azul" and doc.units[4].location == {"kind": "cell", "row": 2,
                                                                                          "column": 2}
    assert doc.write_source() == data
    out = doc.write([UnitOutput(u.text.replace("Ele", "He; a")) for u in doc.units]).decode()
    assert out.splitlines()[2] == 'João;"He; a saiu; de casa";'


def test_docx_units_everywhere_and_formatting(tmp_path: Path) -> None:
    doc, _ = read_document(make_docx(tmp_path / "d.docx"))
    texts = [u.text for u in doc.units]
    assert texts[0] == "O agente viu o carro azul ontem à noite, perto da estação."
    assert [(s.start, s.end) for s in doc.units[0].spans] == [(15, 20), (50, 57)]
    for expected in ("Ele saiu de casa.", EN, "A mulher saiu de casa.", "MG/12/003", "Documento da polícia de Lisboa",
                     "Página um", "Primeira linha", "Segunda linha"):
        assert expected in texts
    assert {u.location["part"] for u in doc.units} >= {"word/document.xml", "word/header1.xml", "word/footer1.xml"}
    import docx

    src = docx.Document(str(tmp_path / "d.docx"))
    again = docx.Document(__import__("io").BytesIO(doc.write_source()))
    assert [p.text for p in again.paragraphs] == [p.text for p in src.paragraphs]
    assert [[r.bold, r.italic] for r in again.paragraphs[0].runs] == [[None, None], [True, None], [None, None],
                                                                      [None, True], [None, None]]
    assert again.paragraphs[1].style.name == "List Bullet"
    assert again.tables[0].cell(1, 0).text == "O vizinho ligou para a polícia."


def test_pdf_paragraphs_in_reading_order(tmp_path: Path) -> None:
    doc, _ = read_document(make_pdf(tmp_path / "p.pdf"))
    assert [u.text for u in doc.units] == [PT, "Ele saiu de casa.", "A mulher ligou."]
    assert [u.location["page"] for u in doc.units] == [1, 1, 2]
    assert doc.output_suffix == ".docx"
    import io

    import docx

    out = docx.Document(io.BytesIO(doc.write_source()))
    assert [p.text for p in out.paragraphs if p.text] == [PT, "Ele saiu de casa.", "A mulher ligou."]


def _with_footnotes(data: bytes, text: str) -> bytes:
    """``data`` (a DOCX) with a footnotes part holding ``text`` (python-docx cannot add one)."""
    import io
    import zipfile

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    notes = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{w}">'
             f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote></w:footnotes>')
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
            if item.filename == "word/_rels/document.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rId90" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/footnotes" '
                                    b'Target="footnotes.xml"/></Relationships>')
            z.writestr(item, body)
        z.writestr("word/footnotes.xml", notes)
    return out.getvalue()


def test_docx_footnotes(tmp_path: Path) -> None:
    import io
    import zipfile

    f = tmp_path / "n.docx"
    f.write_bytes(_with_footnotes(make_docx(tmp_path / "base.docx").read_bytes(), "Nota de rodapé da polícia."))
    doc, _ = read_document(f)
    notes = [u for u in doc.units if u.location["part"] == "word/footnotes.xml"]
    assert [u.text for u in notes] == ["Nota de rodapé da polícia."]
    out = doc.write([UnitOutput("Police footnote." if u in notes else u.text) for u in doc.units])
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/footnotes.xml").decode()
    assert "Police footnote." in xml and "rodapé" not in xml
