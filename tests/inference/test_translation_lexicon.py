"""Content nouns of an English translation against the source transcript (shared.translation_lexicon).
Passages and transcripts are what Whisper base wrote on the benchmark's espeak-ng clips."""

from __future__ import annotations

from shared.translation_lexicon import LEXICON, uncorroborated
from shared.translation_routes import source_words
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


GELDWOSE = "Ich habe meine Geldwöse im Bus verloren."  # Whisper base on "Geldbörse", with its word probabilities
GELDWOSE_WORDS = [("Ich", 0.9907), ("habe", 0.9654), ("meine", 0.9058), ("Geldwöse", 0.462), ("im", 0.7234),
                  ("Bus", 0.4426), ("verloren.", 0.8916)]


def test_a_stem_inside_a_word_whisper_was_unsure_of_is_weak_support() -> None:
    """"Geldwöse" holds the stem of *Geld* (money) but Whisper gave the word 0.46: the wallet that
    became money is withheld once the transcript's word probabilities are known, and only then."""
    assert uncorroborated(GELDWOSE, "de", "I have lost my money.") == []
    assert uncorroborated(GELDWOSE, "de", "I have lost my money.", GELDWOSE_WORDS) == ["money"]
    assert cross_check(GELDWOSE, "de", "I have lost my money.", GELDWOSE_WORDS) == "unverified"
    # a stem that is the whole word stays support however unsure Whisper was ("Bus" 0.44, "Garage" 0.44)
    assert uncorroborated(GELDWOSE, "de", "I lost it on the bus.", GELDWOSE_WORDS) == []
    garage = "Die Jungen haben ein Fahrrad aus der Garage gestorren."
    words = [("Die", 0.981), ("Jungen", 0.6667), ("haben", 0.9702), ("ein", 0.574), ("Fahrrad", 0.9794),
             ("aus", 0.9782), ("der", 0.7928), ("Garage", 0.4387), ("gestorren.", 0.7927)]
    assert uncorroborated(garage, "de", "The boys took a bike from the garage.", words) == []
    # a confident compound keeps its stem: "Geldbörse" heard at 0.9 says wallet (its own stem) and money
    sure = [("Ich", 0.99), ("habe", 0.97), ("meine", 0.91), ("Geldbörse", 0.9), ("verloren.", 0.89)]
    assert uncorroborated("Ich habe meine Geldbörse verloren.", "de", "I lost my wallet with the money.", sure) == []


def test_the_routes_pass_the_transcript_words_when_it_has_them() -> None:
    word = {"start": 0.0, "end": 0.5, "text": " Geldwöse", "probability": 0.462}
    with_words = [{"text": GELDWOSE, "words": [word]}, {"text": "Danke.", "words": []}]
    assert source_words(with_words, [0, 1]) == [("Geldwöse", 0.462)]
    assert source_words([{"text": GELDWOSE, "words": None}], [0]) is None  # made without word timestamps
