"""The first-person check on translated passages (shared.translation_morphology via
shared.translation_verify.person_mismatch). The English texts are what Whisper base (int8, float32
encoder) wrote for the benchmark's espeak-ng clips (bench/translation_guard.py), and hand-written
faithful renderings of the same sentences."""

from __future__ import annotations

import pytest

from shared.translation_morphology import (
    FIRST_PLURAL,
    FIRST_SINGULAR,
    allowed_first_persons,
    english_first_persons,
)
from shared.translation_tense import past_lost
from shared.translation_verify import person_mismatch, plural_mismatch, third_person_mismatch


@pytest.mark.parametrize(("source", "language", "english"), [
    # Whisper base on the es clip: encontraron = *they* found; both decodes agreed on "I"
    ("Encontraron el teléfono debajo del asiento del coche.", "es", "I found the phone down in the seat of the car."),
    # Whisper base on the es+f2 clip: no quiso = he did not want
    ("El metenimo no quiso contestar ninguna pregunta.", "es", "We did not want to answer any questions."),
    ("Vimos a Carlos salir del bar.", "es", "I saw Carlos leave the bar."),  # vimos: we saw
    ("Os polícias encontraram duas facas no carro.", "pt", "We found two knives in the car."),
    ("Gli agenti hanno trovato due telefoni nella macchina.", "it", "I found two phones in the car."),
    ("Policjanci znaleźli nóż w kuchni.", "pl", "I found a knife in the kitchen."),
    ("Polițiștii au găsit un cuțit în bucătărie.", "ro", "We found a knife in the kitchen."),
    ("Nous avons vu deux hommes sortir de la maison.", "fr", "I saw two men leave the house."),
    ("Die Zeugin hat das Auto gesehen.", "de", "I saw the car."),
])
def test_a_first_person_the_source_cannot_say_is_a_mismatch(source: str, language: str, english: str) -> None:
    assert person_mismatch(source, language, english)


@pytest.mark.parametrize(("source", "language", "english"), [
    ("Yo estaba en casa con mi familia.", "es", "I was at home with my family."),  # Whisper base, both es voices
    ("Estaba en casa.", "es", "I was at home."),  # pro-drop: estaba is I or he was
    ("Llegué a casa a las diez.", "es", "I got home at ten."),
    ("Vimos a Carlos salir del bar.", "es", "We saw Carlos leave the bar."),
    ("Cheguei a casa às onze da noite.", "pt", "I got home at eleven at night."),
    ("Eu não conheço esse homem.", "pt", "I do not know that man."),
    ("Sono tornato a casa a mezzanotte.", "it", "I came back home at midnight."),
    ("Non ho mai visto quel coltello.", "it", "I have never seen that knife."),
    ("Widziałem dwóch mężczyzn przy samochodzie.", "pl", "I saw two men by the car."),
    ("Byłem w domu o dziesiątej wieczorem.", "pl", "I was at home at ten in the evening."),
    ("Am văzut doi bărbați lângă mașină.", "ro", "We saw two men near the car."),  # am: I or we
    ("Je ne dirais rien sans mon avocat.", "fr", "I would not say without my lawyer."),  # Whisper base, fr
    ("La víctima llamó a la policía a la sonce de la noche.", "es", "The victim called the police at night."),
    ("Kdo to udělal?", "cs", "I did it."),  # no rules for the language: not judged
])
def test_a_first_person_the_source_allows_or_none_passes(source: str, language: str, english: str) -> None:
    assert not person_mismatch(source, language, english)


def test_nouns_after_an_article_and_third_person_plurals_are_not_first_person_verbs() -> None:
    assert allowed_first_persons("La víctima llamó a la policía.", "es") == frozenset()  # la policía: a noun
    assert allowed_first_persons("Encontraron el teléfono debajo del asiento.", "es") == frozenset()
    assert allowed_first_persons("Hanno visto il coltello.", "it") == frozenset()  # hanno: they have
    assert allowed_first_persons("Tenía miedo.", "es") == {FIRST_SINGULAR}  # tenía: I or he had
    assert allowed_first_persons("Am plecat.", "ro") == {FIRST_SINGULAR, FIRST_PLURAL}
    assert allowed_first_persons("Byliśmy w domu.", "pl") == {FIRST_PLURAL}
    assert allowed_first_persons("Er kam.", "sw") is None
    assert english_first_persons("I'm sure we told them") == {FIRST_SINGULAR, FIRST_PLURAL}
    assert english_first_persons("They found the phone.") == frozenset()


def test_a_plural_the_source_cannot_say_is_a_mismatch() -> None:
    """"I don't know the men." is what Bergamot pt->en wrote for Whisper base's transcript of the pt
    clip, which misheard "esse homem" (that man) as "as homens": against the spoken sentence it is
    caught; against the misheard transcript it cannot be (its determiner is plural too)."""
    assert plural_mismatch("Eu não conheço esse homem.", "pt", "I don't know the men.")
    assert not plural_mismatch("Eu não conheço as homens.", "pt", "I don't know the men.")
    assert plural_mismatch("Encontraron el teléfono debajo del asiento del coche.", "es",
                           "They found the phones under the seat.")
    assert plural_mismatch("Ho lasciato la chiave sul tavolo.", "it", "I left the keys on the table.")
    assert not plural_mismatch("Il a refusé de répondre aux questions des enquêteurs.", "fr",
                               "He refused to answer the questions.")
    assert not plural_mismatch("La víctima llamó a la policía a la sonce de la noche.", "es",
                               "The victim called the police at night.")  # Whisper base, es clip
    assert not plural_mismatch("Widziałem dwóch mężczyzn.", "pl", "I saw two men.")  # pl: not judged
    assert not plural_mismatch("Vimos dois homens perto da estação.", "pt", "We saw two men near the station.")


def test_a_third_person_pronoun_the_source_has_nothing_for_is_a_mismatch() -> None:
    """Whisper base on the de clips: both decodes wrote "to him" for "mit dem Opfer" (with the victim),
    and "they were in the car" for "fanden das Handy im Auto" (found the phone in the car)."""
    assert third_person_mismatch("Meine Mutter hat nicht mit dem Opfer gestochen.", "de",
                                 "My mother did not talk to him.")
    assert third_person_mismatch("Die Polizisten fanden das Handy im Auto.", "de",
                                 "The policemen found that they were in the car.")
    assert not third_person_mismatch("Er hat die Aussage verweigert.", "de", "He refused to make a statement.")
    assert not third_person_mismatch("Il a refusé de répondre aux questions des enquêteurs.", "fr",
                                     "He refused to answer the investigators' questions.")
    assert not third_person_mismatch("Se negó a contestar.", "es", "He refused to answer.")  # pro-drop subject
    assert third_person_mismatch("Habló con la víctima.", "pl", "She talked to him.")  # no pl pronoun at all
    assert not third_person_mismatch("Kdo to udělal?", "cs", "He did it.")  # no rules: not judged
    assert third_person_mismatch("Vimos a Carlos salir del barro.", "es",  # Whisper base, es+m3
                                 "We went to get her out of the bar.")


def test_a_compound_past_without_a_past_in_the_english_is_a_mismatch() -> None:
    """Whisper base on the de clip: both decodes dropped "gesehen" (seen) and wrote "We have/had two men"."""
    assert past_lost("Wir haben zwei Männer vor dem Haus gesehen.", "de",
                                  "We have two men in front of the house.")
    assert past_lost("Nous avons vu deux hommes sortis de ramèmement.", "fr",  # Whisper base, fr+m2
                                  "We have more than two men in the house.")
    assert not past_lost("Wir haben zwei Männer vor dem Haus gesehen.", "de",
                                      "We saw two men in front of the house.")
    assert not past_lost("Er hatte dreihundert Euro in der Tasche.", "de",
                                      "He had three hundred euros in his pocket.")  # no perfect: a real "had"
    assert not past_lost("Non ho mai visto quel coltello.", "it", "I have never seen that knife.")
    assert past_lost("Ils sont arrivés même et milliers avec Marc.", "fr",  # Whisper base, fr+m2
                           "They are coming, they are coming with Mark.")
    assert not past_lost("Il a refusé de répondre aux questions des enquêteurs.", "fr",
                               "He refused to answer the investigators' questions.")
