"""The benchmark's judge (bench.translation_judge): strict per passage, against the references of
the sentences the passage itself translates. Passages are what Whisper base wrote on the clips."""

from __future__ import annotations

from bench.translation_judge import Sentence, judge, lemma, translated

HOME = Sentence("Yo estaba en casa con mi familia.", "I was at home with my family.", ("house",), 0.5, 2.7)
PHONE = Sentence("Encontraron el teléfono debajo del asiento del coche.",
                 "They found the phone under the seat of the car.", ("telephone", "mobile", "beneath", "below"),
                 3.4, 6.8)
MAN = Sentence("Eu não conheço esse homem.", "I do not know that man.", ("this", "don't", "guy"), 0.5, 2.0)


def test_a_neighbouring_sentence_lends_no_word() -> None:
    assert translated(3.3, 6.9, [HOME, PHONE]) == [PHONE]
    got = judge("I found the phone down in the seat of the car.", translated(3.3, 6.9, [HOME, PHONE]))
    assert got["invented"] and "i" in got["unsupported"]
    assert not judge("They found the phone below the seat of the car.", [PHONE])["invented"]


def test_grammatical_number_negation_and_lemmas() -> None:
    assert judge("I don't know the men.", [MAN])["invented"]  # homem: one man
    assert judge("I know that man.", [MAN])["unsupported"] == ["(negation dropped)"]
    assert not judge("I don't know this man.", [MAN])["invented"]
    assert judge("They found the phones under the seat.", [PHONE])["unsupported"] == ["(number) phones"]
    assert lemma("refused") == lemma("refuses") == lemma("refuse") and lemma("officers") == "officer"
    assert judge("", [MAN])["empty"]


def test_a_main_verb_have_and_degree_words_are_content() -> None:
    """Whisper base on the de and fr+m2 clips, for "Wir haben zwei Männer ... gesehen" / "Nous avons vu"."""
    men = Sentence("Wir haben zwei Männer vor dem Haus gesehen.", "We saw two men in front of the house.",
                   ("outside", "seen", "2"), 0.5, 3.0)
    assert judge("We have two men in front of the house.", [men])["unsupported"] == ["have"]
    assert judge("We have more than two men in the house.", [men])["unsupported"] == ["have", "more", "than"]
    assert not judge("We have seen two men in front of the house.", [men])["invented"]

