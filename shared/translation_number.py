"""Grammatical number noun by noun: an English lexicon noun (``shared.translation_lexicon``) must have
the number of the source words that say it (``shared.translation_verify.cross_check``).

For each English noun of the lexicon, the source words that begin with one of its stems are read
for number (``source_number``): from the determiner before them (fr, es, pt, it, de: "les", "mis",
"gli"; "dieser" after a preposition is singular, "in dieser Straße"), or, in the languages that mark
number on the noun (pl, ro), from the ending after the stem (pl "-em", "-owi", "-u" singular, "-ów",
"-ami", "-ach" plural; ro "-ul", "-ului", "-a" singular, "-ii", "-ile", "-le", "-lor", "-uri" plural).
A word whose number cannot be read that way (German "die", Polish "klucze", a bare noun) is read as
either. The English is a **number mismatch** when it names a plural ("the streets") and every
source word for that noun is singular, or a singular ("the man") and every one is plural
(``noun_number_mismatch``). Not judged: mass and collective nouns and times ("money", "police",
"night": "por las noches" is "at night"), a noun after "every"/"each", a noun the source says with
a number of 2 or more (the number check reads that), languages without a lexicon column.
Deterministic; word lists lower case, accents folded like the lexicon's stems.
"""

from __future__ import annotations

import re

from shared.translation_lexicon import LANGUAGES, LEXICON, fold, plural_forms

SG, PL = "sg", "pl"


def _split(spec: str) -> frozenset[str]:
    return frozenset(fold(w) for w in spec.split())


# Determiners that make the next noun singular or plural (looked for up to two words back).
SINGULAR_DETERMINERS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "fr": "le la l un une du au ce cet cette mon ma ton ta son sa notre votre",
    "es": "el la un una del al este esta ese esa aquel aquella mi tu su",
    "pt": "o a um uma do da no na ao à pelo pela este esta esse essa aquele aquela meu minha teu tua seu sua",
    "it": "il lo la l un uno una del dello della dell al allo alla all nel nello nella nell sul sullo sulla dal "
          "dallo dalla questo questa quel quello quella mio mia tuo tua suo sua",
    "de": "ein eine einen einem eines das dem des im am zum zur vom beim ins ans diesem dieses jedem jedes "
          "meinem meines deinem deines seinem seines ihrem ihres unserem unseres eurem eures keinem keines",
}.items()}
PLURAL_DETERMINERS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "fr": "les des aux ces mes tes ses nos vos leurs plusieurs quelques",
    "es": "los las unos unas estos estas esos esas aquellos aquellas mis tus sus nuestros nuestras varios varias "
          "muchos muchas algunos algunas",
    "pt": "os as uns umas dos das nos nas aos às pelos pelas estes estas esses essas aqueles aquelas meus minhas "
          "teus tuas seus suas nossos nossas vários várias muitos muitas alguns algumas",
    "it": "i gli dei degli delle ai agli alle nei negli nelle sui sugli sulle dai dagli dalle questi queste quei "
          "quegli quelle miei mie tuoi tue suoi sue nostri nostre vostri vostre alcuni alcune molti molte",
    "de": "beide beiden mehrere mehreren einige einigen viele vielen wenige manche",
}.items()}
# German "der"-forms are singular (dative feminine) after a preposition, genitive plural elsewhere.
GERMAN_ER_DETERMINERS = _split("der dieser meiner deiner seiner ihrer unserer eurer einer keiner jeder")
GERMAN_PREPOSITIONS = _split("in an auf aus bei mit nach von zu vor hinter neben über unter zwischen seit gegenüber")
# Endings after the stem, for the languages that mark number on the noun.
SINGULAR_ENDINGS: dict[str, tuple[str, ...]] = {"pl": ("em", "owi", "u"), "ro": ("ul", "ului", "a")}
PLURAL_ENDINGS: dict[str, tuple[str, ...]] = {"pl": ("ow", "ami", "ach", "om", "owie"),
                                              "ro": ("ii", "ile", "le", "lor", "uri", "urile")}
# English nouns whose number is not judged (mass, collective, times, places said as a state).
NOT_COUNTED = _split("""money cash police family home night evening tonight overnight midnight morning yesterday
monday tuesday wednesday thursday friday saturday sunday drug statement""")
_WORD = re.compile(r"[^\W\d_]+")
_DISTRIBUTIVE = frozenset(("every", "each", "any", "no"))
PLURAL_FORMS = plural_forms()


def _number_after_stem(word: str, stem: str, language: str) -> str | None:
    rest = word[len(stem):]
    if rest and rest.endswith(PLURAL_ENDINGS.get(language, ())) and len(rest) <= 5:
        return PL
    if rest in SINGULAR_ENDINGS.get(language, ()):
        return SG
    return None


def source_number(words: list[str], k: int, stem: str, language: str) -> str | None:
    """The number of the source word ``words[k]`` (folded, lower case) said by ``stem``: ``SG``,
    ``PL`` or None (either)."""
    if language in SINGULAR_ENDINGS:
        return _number_after_stem(words[k], stem, language)
    before = words[max(0, k - 2):k]
    for j in range(len(before) - 1, -1, -1):
        w = before[j]
        if w in PLURAL_DETERMINERS.get(language, ()):
            return PL
        if w in SINGULAR_DETERMINERS.get(language, ()):
            plural_noun = language in ("fr", "es", "pt") and words[k].endswith(("s", "x"))
            return None if plural_noun else SG
        if language == "de" and w in GERMAN_ER_DETERMINERS:
            earlier = before[j - 1] if j else (words[k - 3] if k >= 3 else "")
            return SG if earlier in GERMAN_PREPOSITIONS or k - len(before) + j == 0 else None
    return None


def _readings(word: str, language: str, source: list[str]) -> list[str | None]:
    """The numbers of the source words that say the English lexicon ``word`` (by a stem)."""
    out: list[str | None] = []
    for k, s in enumerate(source):
        stems = [st for concept in LEXICON[word] for st in concept[language] if len(st) > 2 and s.startswith(st)]
        if stems:
            out.append(source_number(source, k, max(stems, key=len), language))
    return out


def noun_number_mismatch(source_text: str, language: str, english: str, source_numbers: set[int]) -> bool:
    """True when an English lexicon noun's number contradicts every source word that says it (see
    the module docstring); ``source_numbers`` are the numbers said in the source."""
    lang = language.split("-")[0].lower()
    if lang not in LANGUAGES or any(n >= 2 for n in source_numbers):
        return False
    source = [fold(w) for w in _WORD.findall(source_text.replace("'", " ").replace("\u2019", " "))]
    english_words = [w.lower() for w in _WORD.findall(english.replace("\u2019", "'"))]
    for k, w in enumerate(english_words):
        if w not in LEXICON or w in NOT_COUNTED or (k and english_words[k - 1] in _DISTRIBUTIVE):
            continue
        readings = _readings(w, lang, source)
        if not readings or None in readings:
            continue
        wanted = PL if w in PLURAL_FORMS else SG
        if all(r != wanted for r in readings):
            return True
    return False
