"""CSV and TSV: one unit per non-empty cell, delimiter detected, rows and columns kept.

The delimiter is sniffed among ``, ; TAB |`` (``.tsv`` defaults to TAB). The file is written back
with the same delimiter, quote character and line terminator; quoting is minimal, so once any cell
changed, a cell the source quoted without need may lose its quotes (its value is unchanged).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from shared.documents.errors import CORRUPT, EMPTY, DocumentError
from shared.documents.model import ParsedDocument, UnitCollector, UnitOutput
from shared.documents.textcodec import decode_text, encode_text


def _dialect(text: str, tsv: bool) -> tuple[str, str]:
    sample = text[:65536]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="\t" if tsv else ",;\t|")
        return sniffed.delimiter, sniffed.quotechar or '"'
    except csv.Error:
        return ("\t" if tsv else ","), '"'


def read_delimited(data: bytes, tsv: bool) -> ParsedDocument:
    decoded = decode_text(data, "TSV" if tsv else "CSV")
    text = decoded.text
    if not text.strip():
        raise DocumentError(EMPTY, "the file holds no cells")
    delimiter, quote = _dialect(text, tsv)
    terminator = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote))
    except csv.Error as exc:
        raise DocumentError(CORRUPT, f"the {'TSV' if tsv else 'CSV'} file does not parse: {exc}") from exc
    units = UnitCollector()
    cells: list[list[str | int]] = []
    for r, row in enumerate(rows, start=1):
        out_row: list[str | int] = []
        for c, value in enumerate(row, start=1):
            out_row.append(units.add(value, kind="cell", row=r, column=c) if value.strip() else value)
        cells.append(out_row)
    trailing = text.endswith(("\n", "\r"))

    def write(outputs: Sequence[UnitOutput]) -> bytes:
        if [o.text for o in outputs] == [u.text for u in units.units]:
            return encode_text(text, decoded)[0]  # unchanged: the source's own quoting
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, delimiter=delimiter, quotechar=quote, lineterminator=terminator,
                            quoting=csv.QUOTE_MINIMAL)
        for row in cells:
            writer.writerow([v if isinstance(v, str) else outputs[v].text for v in row])
        out = buf.getvalue()
        if not trailing and out.endswith(terminator):
            out = out[: -len(terminator)]
        return encode_text(out, decoded)[0]

    fmt = "tsv" if tsv else "csv"
    return ParsedDocument(fmt, units.units, write, "." + fmt,
                          {"encoding": decoded.encoding, "delimiter": delimiter})
