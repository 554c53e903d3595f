"""A second person in the English against the source transcript (shared.translation_address).
Withheld passages are what Whisper base wrote on the benchmark's espeak-ng clips; kept ones are
faithful translations of real interview sentences."""

from __future__ import annotations

import pytest

from shared.translation_address import english_addresses, second_person_mismatch, source_addresses
from shared.translation_verify import cross_check


@pytest.mark.parametrize(("source", "lang", "english"), [
    ("Sie hat Angst vor ihm Mann.", "de", "She is afraid of you."),
    ("perni la cartera en el autonús", "es", "To tell you about the car."),
    ("Nie chcę odponadać na na nie pytania.", "pl", "I don't want to tell you anything."),
    ("La mia vicina ha sentito un uro alle 3 di notte.", "it", "My friend has sent you two to the three of the night."),
    ("O suspeito foi remato para gastar a nova da manhã.", "pt",
     "You are the one who left the house for the rest of the 9th of May."),
    ("Nu am fost acolo înbaptă a ceea. Am lăsat căile la veci amea.", "ro",
     "I suspect that you are the first one to take the police away from here."),
])
def test_an_invented_address_is_withheld(source: str, lang: str, english: str) -> None:
    assert second_person_mismatch(source, lang, english)
    assert cross_check(source, lang, english) == "unverified"


@pytest.mark.parametrize(("source", "lang", "english"), [
    ("Tu m'as menti hier soir.", "fr", "You lied to me last night."),
    ("Vous étiez au bar avec vos amis.", "fr", "You were at the bar with your friends."),
    ("Du warst nicht zu Hause.", "de", "You were not at home."),
    ("Wo waren Sie am Freitag?", "de", "Where were you on Friday?"),
    ("Habt ihr das Auto gesehen?", "de", "Did you see the car?"),
    ("Usted estaba en la calle.", "es", "You were in the street."),
    ("¿Vio el coche?", "es", "Did you see the car?"),  # polite "you", pronoun dropped, third-person verb
    ("Llegaste a las diez.", "es", "You arrived at ten."),
    ("Você estava em casa?", "pt", "Were you at home?"),
    ("Tu disseste que não.", "pt", "You said no."),
    ("Hai visto la macchina?", "it", "Did you see the car?"),
    ("Eri a casa con tua moglie.", "it", "You were at home with your wife."),
    ("Widziałeś tego mężczyznę?", "pl", "Did you see that man?"),
    ("Czy pani była w domu?", "pl", "Were you at home?"),
    ("Ai fost acasă?", "ro", "Were you at home?"),
    ("Dumneavoastră ați văzut mașina.", "ro", "You saw the car."),
])
def test_a_source_second_person_keeps_a_faithful_you(source: str, lang: str, english: str) -> None:
    assert not second_person_mismatch(source, lang, english)
    assert cross_check(source, lang, english) is None


def test_what_is_and_is_not_an_address() -> None:
    assert english_addresses("Is this your phone?")
    assert not english_addresses("Thank you, I have nothing to add.")
    assert source_addresses("Sie hat Angst vor ihrem Mann.", "de") is False  # "sie" with a singular verb: she
    assert source_addresses("Haben Sie die Frau gesehen?", "de") is True
    assert source_addresses("Mieszkam w mieście.", "pl") is False  # "-ście" after a preposition is a place
    assert source_addresses("Anything.", "xx") is None
    assert not second_person_mismatch("Anything.", "xx", "You were there.")  # not judged
