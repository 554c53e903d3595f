"""Content nouns of an English translation against the source transcript (shared.translation_lexicon),
and the source transcript standing in for a second reading (translation_verify.source_vouches).
Passages and transcripts are what Whisper base wrote on the benchmark's espeak-ng clips."""

from __future__ import annotations

from shared.translation_lexicon import LEXICON, uncorroborated, vouched
from shared.translation_verify import cross_check, disagreement, source_vouches


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
    assert {"men", "knives", "children", "policemen"} <= set(LEXICON)


def test_the_source_vouches_only_for_every_content_word() -> None:
    fr = "Je ne dirais rien sans mon avocat."
    assert vouched(fr, "fr", "I would not say without my lawyer.") == {"say", "without", "lawyer"}
    assert source_vouches(fr, "fr", "I would not say without my lawyer.")
    assert not source_vouches(fr, "fr", "I would not say without a doubt.")  # "doubt": nothing says it
    assert not source_vouches("Lei non ha pagato con la vittima.", "it", "She did not pay attention to the victim.")
    # the sampled decode wandered off; the source vouches for the first reading, negation agrees
    second = "I would not say anything without a doubt, the whole world is surrounded by the Malk."
    assert disagreement("I would not say without my lawyer.", second, source_text=fr)
    assert not disagreement("I would not say without my lawyer.", second, source_text=fr, language="fr")
    # negation and numbers must still agree
    assert disagreement("I would not say without my lawyer.", "I would say it to my lawyer.", source_text=fr,
                        language="fr")
