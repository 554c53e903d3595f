"""A noun's grammatical number in the English against the source words that say it
(shared.translation_number). Withheld passages are what Whisper base wrote on the benchmark's
espeak-ng clips; kept ones are faithful translations of real interview sentences."""

from __future__ import annotations

import pytest

from shared.translation_number import noun_number_mismatch
from shared.translation_verify import cross_check, numbers


def _mismatch(source: str, lang: str, english: str) -> bool:
    return noun_number_mismatch(source, lang, english, numbers(source, lang))


@pytest.mark.parametrize(("source", "lang", "english"), [
    ("Ich wohne mit meiner Mutter in dieser Straße.", "de", "I live with my mother in the streets."),
    ("Ich mag am Freitag bei meiner Freundin.", "de", "I'm always happy with my friends."),
    ("Il a refusé de répondre aux questions des manquateurs.", "fr",
     "He refused to answer to the question of the teacher."),
    ("Los vecinos vieron el coche.", "es", "The neighbour saw the car."),
    ("Gli uomini sono entrati nel negozio.", "it", "The man went into the shops."),
    ("Am văzut bărbații lângă mașină.", "ro", "I saw the man near the cars."),
    ("Rozmawiałem z sąsiadem.", "pl", "I spoke to the neighbours."),
])
def test_a_changed_number_is_withheld(source: str, lang: str, english: str) -> None:
    assert _mismatch(source, lang, english)
    assert cross_check(source, lang, english) == "unverified"


@pytest.mark.parametrize(("source", "lang", "english"), [
    ("Ich wohne mit meiner Mutter in dieser Straße.", "de", "I live with my mother in this street."),
    ("Die Männer sind aus dem Auto gestiegen.", "de", "The men got out of the car."),
    ("Meine Schlüssel waren im Auto.", "de", "My keys were in the car."),  # "Schlüssel": either number
    ("Les policiers ont trouvé deux couteaux dans la cuisine.", "fr", "The police found two knives in the kitchen."),
    ("Mes clés sont dans la voiture.", "fr", "My keys are in the car."),
    ("Los vecinos vieron el coche.", "es", "The neighbours saw the car."),
    ("Salía todas las noches.", "es", "He went out every night."),  # a time, and "every"
    ("Os homens fugiram pela rua.", "pt", "The men ran away down the street."),
    ("Gli uomini sono entrati nel negozio.", "it", "The men went into the shop."),
    ("Am văzut bărbații lângă mașină.", "ro", "I saw the men near the car."),
    ("Rozmawiałem z sąsiadem.", "pl", "I spoke to the neighbour."),
    ("Widziałem samochody.", "pl", "I saw the cars."),  # "-y": either number, not withheld
])
def test_a_kept_number_is_shown(source: str, lang: str, english: str) -> None:
    assert not _mismatch(source, lang, english)
    assert cross_check(source, lang, english) is None
