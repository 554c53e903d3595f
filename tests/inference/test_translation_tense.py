"""A past in the source must be a past in the English (shared.translation_tense). Source texts are
what Whisper base transcribed on the benchmark clips, or the clips' own sentences."""

from __future__ import annotations

from shared.translation_tense import english_past, past_lost, source_past


def test_simple_and_compound_pasts_are_read_in_each_language() -> None:
    pasts = {"es": "Los destinos no reconocieron al conductor.", "pt": "Ela nunca falou com a vítima.",
             "it": "I bambini dormivano quando è arrivata la polizia.", "fr": "Il avait trois cents euros.",
             "de": "Er hat die Aussage verweigert.", "pl": "Marek, przyjechał obunący.",
             "ro": "Am ajuns acasă la ora zece."}
    presents = {"es": "Mi hermano trabaja de noche en el hospital.", "pt": "Eu não conheço esse homem.",
                "it": "Lei ha paura di suo marito.", "fr": "Je ne dirai rien sans mon avocat.",
                "de": "Ich wohne mit meiner Mutter in dieser Straße.", "pl": "Nie chcę odpowiadać na pytania.",
                "ro": "Locuiesc cu mama mea."}
    for lang, text in pasts.items():
        assert source_past(text, lang), (lang, text)
    for lang, text in presents.items():
        assert source_past(text, lang) is False, (lang, text)
    assert source_past("Anything at all.", "xx") is None
    assert not source_past("La policía está en la calle.", "es")  # "policía" ends like a past, is a noun


def test_an_english_past_is_read_in_its_forms() -> None:
    assert english_past("I didn't see him.") and english_past("Marek has arrived at night.")
    assert english_past("We've seen Marco.") and english_past("The victim called the police.")
    assert not english_past("The witnesses do not recognize the driver.")
    assert not english_past("He has three hundred euros.")  # "hundred" is no past
    assert not english_past("We have two men in front of the house.")


def test_a_past_lost_in_the_english_is_caught_and_a_present_is_not_judged() -> None:
    assert past_lost("Los destinos no reconocieron al conductor.", "es", "The witnesses do not recognize the driver.")
    assert not past_lost("Los testigos no reconocieron al conductor.", "es",
                         "The witnesses did not recognise the driver.")
    assert past_lost("Ils sont arrivés même et milliers avec Marc.", "fr", "They are coming with Mark.")
    assert not past_lost("Mi hermano trabaja de noche en el hospital.", "es", "My brother worked at night.")
    assert not past_lost("Llegué a casa a las diez.", "es", "")
