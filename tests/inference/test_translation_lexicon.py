"""Content nouns of an English translation against the source transcript (shared.translation_lexicon).
Passages and transcripts are what Whisper base wrote on the benchmark's espeak-ng clips."""

from __future__ import annotations

from shared.translation_lexicon import LEXICON, uncorroborated
from shared.translation_verify import cross_check, disagreement


def test_a_confident_noun_error_has_no_source_word() -> None:
    assert uncorroborated("Non ho mai visto quel coltello.", "it", "I have never seen this hotel.") == ["hotel"]
    assert uncorroborated("Los testigos no reconocieron al conductor.", "es",
                          "The witnesses did not recognize the doctor.") == ["doctor"]
    assert uncorroborated("Marek, przyjechał obunący.", "pl", "Marek has arrived at night.") == ["night"]
    assert cross_check("Non ho mai visto quel coltello.", "it", "I have never seen this hotel.") == "unverified"


def test_faithful_nouns_are_found_by_stem_or_cognate() -> None:
    assert uncorroborated("Non ho mai visto quel coltello.", "it", "I have never seen that knife.") == []
    assert uncorroborated("O dinheiro estava dentro da mochila.", "pt", "The money was in the backpack.") == []
    assert uncorroborated("Policjanci znaleźli nóż w kuchni.", "pl", "The police officers found a knife in the "
                          "kitchen.") == []
    assert uncorroborated("Il est allé à l'hôtel.", "fr", "He went to the hotel.") == []  # a cognate
    assert uncorroborated("Anything.", "xx", "the hotel") is None
    assert uncorroborated("Perdí la cartera.", "es", "I lost the car.") == ["car"]  # a short word: whole only
    assert uncorroborated("Fuimos al bar.", "es", "We went to the bar.") == []
    assert {"men", "knives", "children", "policemen"} <= set(LEXICON)


def test_the_source_transcript_never_stands_in_for_the_second_decode() -> None:
    """Measured and rejected (docs/benchmarks.md): on the second held-out split it showed passages that
    follow a misheard transcript ("We do not have the night." for "no tenemos noche")."""
    fr = "Je ne dirais rien sans mon avocat."
    second = "I would not say anything without a doubt, the whole world is surrounded by the Malk."
    assert uncorroborated(fr, "fr", "I would not say without my lawyer.") == []
    assert disagreement("I would not say without my lawyer.", second, source_text=fr)
