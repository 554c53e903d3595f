"""Protected spans and their markers: what is found, and how a model's output is verified."""

from __future__ import annotations

from shared.documents.model import InlineSpan
from shared.documents.placeholders import mask, unmask
from shared.documents.protect import find_protected


def test_protected_kinds() -> None:
    text = ("Prova MG/12/003 e JS/1: ligue +44 20 7946 0958 ou 912 345 678, escreva para a.silva@policia.pt, "
            "veja https://exemplo.pt/caso?id=3. Dia 12/03/2024 às 23:42, 1.250,50 € e 3 homens [1].")
    found = {text[p.start:p.end]: p.kind for p in find_protected(text)}
    assert found == {"MG/12/003": "reference", "JS/1": "reference", "+44 20 7946 0958": "phone",
                     "912 345 678": "phone", "a.silva@policia.pt": "email", "https://exemplo.pt/caso?id=3": "url",
                     "12/03/2024": "date", "23:42": "time", "1.250,50": "number", "3": "number",
                     "[1]": "placeholder_like"}


def test_mask_and_unmask_round_trip() -> None:
    text = "O carro MG/12/003 saiu às 23:42."
    seg = mask(text, find_protected(text), [InlineSpan(2, 7, "bold")])
    assert seg.text == "O [1] carro [2] [3] saiu às [4]."
    out, spans, issues = unmask(seg, "The [1] car [2] [3] left at [4].")
    assert out == "The car MG/12/003 left at 23:42." and issues == []
    assert [(out[s.start:s.end], s.style) for s in spans] == [("car", "bold")]


def test_unmask_reports_lost_duplicated_and_invented_markers() -> None:
    text = "Ligue 912 345 678 ou escreva para a@b.pt."
    seg = mask(text, find_protected(text), [])
    assert seg.text == "Ligue [1] ou escreva para [2]."
    out, _, issues = unmask(seg, "Call [1] [1] or write [7].")
    assert out == "Call 912 345 678  or write ."
    assert sorted(i.kind for i in issues) == ["duplicated", "lost", "unexpected"]
    lost = next(i for i in issues if i.kind == "lost")
    assert lost.slot is not None and lost.slot.protected is not None and lost.slot.protected.replacement == "a@b.pt"


def test_formatting_lost_when_markers_swap() -> None:
    seg = mask("um dois três", [], [InlineSpan(3, 7, "i")])
    _, spans, issues = unmask(seg, "one [2] two [1] three")
    assert spans == [] and [i.kind for i in issues] == ["formatting_lost"]


def test_spans_glued_by_the_model_keep_their_spaces() -> None:
    """The real pt→en model answers "às [1] do dia [2]." with "at the day[1][2]."; the values must not merge."""
    text = "Ele ligou às 23:42 do dia 12/03/2024."
    seg = mask(text, find_protected(text), [])
    assert seg.text == "Ele ligou às [1] do dia [2]."
    out, _, issues = unmask(seg, "He called at the day[1][2].")
    assert (out, issues) == ("He called at the day 23:42 12/03/2024.", [])
    assert unmask(seg, "He called at [1] on [2].")[0] == "He called at 23:42 on 12/03/2024."  # no extra space
    seg = mask("Código:AB123", find_protected("Código:AB123"), [])
    assert seg.text == "Código:[1]" and unmask(seg, "Code:[1]")[0] == "Code:AB123"
