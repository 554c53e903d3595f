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
    assert judge("We have two men in front of the house.", [men])["unsupported"] == ["have", "(tense changed)"]
    assert judge("We have more than two men in the house.", [men])["unsupported"] == ["have", "more", "than",
                                                                                      "(tense changed)"]
    assert not judge("We have seen two men in front of the house.", [men])["invented"]



def test_the_judge_reads_tense() -> None:
    """Past (simple or compound) against present: what Whisper base wrote for *no reconocieron*."""
    driver = Sentence("Los testigos no reconocieron al conductor.", "The witnesses did not recognise the driver.",
                      ("recognize", "knew"), 0.5, 3.0)
    works = Sentence("Mi hermano trabaja de noche en el hospital.", "My brother works nights at the hospital.",
                     ("night", "in"), 0.5, 3.0)
    assert judge("The witnesses do not recognize the driver.", [driver])["unsupported"] == ["(tense changed)"]
    assert not judge("The witnesses have not recognised the driver.", [driver])["invented"]
    assert not judge("The witnesses didn't recognize the driver.", [driver])["invented"]
    assert judge("My brother worked at night in the hospital.", [works])["unsupported"] == ["(tense changed)"]
    assert not judge("My brother works at night in the hospital.", [works])["invented"]
    afraid = Sentence("Ella tiene miedo de su marido.", "She is afraid of her husband.", ("scared",), 0.5, 2.0)
    assert not judge("She is scared of her husband.", [afraid])["invented"]  # an adjective, not a past
    assert judge("She was scared of her husband.", [afraid])["invented"]
    assert not judge("He had three hundred euros.", [Sentence("Tenía trescientos euros.", "He had three hundred "
                                                              "euros.", (), 0.5, 2.0)])["invented"]
