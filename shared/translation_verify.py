"""Second opinions on a machine translation: a passage that passes the guards of
``shared.translation_guard`` can still be a *confident* mistranslation ("They found the phone" →
"I found the phone"; "did not want to answer" → "had to answer"). These checks catch the kinds
of error that a log-probability cannot see; a passage that fails one is withheld as ``unverified``.

* **Cross-checks against the source transcript** (every route): a negation in the source must be
  reflected in the English, and the English must not add one (``negation_mismatch``); every
  number said in the source must be in the English and the English must not add numbers
  (``number_mismatch``). Languages without a word list here are checked on digits only, and
  not for negation. The grammar checks of ``shared.translation_morphology``: an English first
  person the source cannot express, read from pronouns and, in pro-drop languages, verb endings
  (``person_mismatch``); a plural where the source has none (``plural_mismatch``); a third-person
  pronoun no source word stands behind (``third_person_mismatch``); a past (compound, simple or
  imperfect, ``shared.translation_tense``) with no past in the English (``past_lost``: "We have
  two men" for "Wir haben zwei Männer gesehen", "do not recognize" for "no reconocieron"); an
  English "you" with no second person in the source (``shared.translation_address``); a lexicon
  noun whose number contradicts the source words that say it (``shared.translation_number``); a
  lexicon noun no source word says (``shared.translation_lexicon``).
* **Agreement of two independent decodes** (Whisper's translate task only): the same window decoded
  a second time by a different search (``second_opinion_options``: seeded sampling instead of beam
  search) must say the same thing: the same personal pronouns, negation and numbers, and most of the
  other content words up to a light stem or a cognate in the source transcript (``disagreement``).

Deterministic: the same texts always give the same decision. Word lists are lower case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from shared.domain.transcript import TranscriptionOptions
from shared.translation_address import second_person_mismatch
from shared.translation_lexicon import uncorroborated
from shared.translation_morphology import (
    allowed_first_persons,
    english_first_persons,
    english_plural_noun,
    source_allows_plural,
    third_person_unsaid,
)
from shared.translation_number import noun_number_mismatch
from shared.translation_tense import past_lost

UNVERIFIED = "unverified"

# -- negation ---------------------------------------------------------------------------------------
# Words that make a clause negative, per source language (ISO 639-1). French "n'" tokenises as "n".
SOURCE_NEGATIONS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "fr": "ne n pas jamais rien aucun aucune nul nulle ni non",
    "es": "no nunca nada nadie ningún ninguno ninguna jamás ni tampoco",
    "pt": "não nunca nada ninguém nenhum nenhuma jamais nem",
    "it": "non mai niente nulla nessuno nessuna né",
    "de": "nicht nie niemals nichts niemand kein keine keinen keinem keiner keines weder",
    "nl": "niet nooit niets niemand geen noch",
    "ro": "nu niciodată nimic nimeni niciun nicio nici",
    "pl": "nie nigdy nic nikt niczego nikogo żaden żadna żadne żadnych żadnego ani",
    "cs": "ne nikdy nic nikdo žádný žádná žádné ani",
    "sk": "nie nikdy nič nikto žiadny žiadna žiadne ani",
    "sv": "inte aldrig ingen inget inga ingenting icke",
    "da": "ikke aldrig ingen intet ingenting",
    "no": "ikke aldri ingen intet ingenting",
    "ru": "не нет никогда ничего никто ни",
    "uk": "не ні ніколи нічого ніхто",
    "en": "not no never nothing nobody none neither nor nowhere cannot",
}.items()}
# Source words that a faithful English may render with a negation ("sans" → "without"/"no"; "refused"
# → "did not want"): they excuse an English negation the source otherwise lacks.
SOURCE_NEGATIVE_MEANING: dict[str, tuple[str, ...]] = {
    "fr": ("sans", "refus"), "es": ("sin", "rechaz", "neg"), "pt": ("sem", "recus", "neg"),
    "it": ("senza", "rifiut"), "de": ("ohne", "verweiger", "ablehn", "lehnt"), "nl": ("zonder", "weiger"),
    "ro": ("fără", "refuz"), "pl": ("bez", "odmów", "odmaw", "odmow"), "en": ("without", "refus"),
}
ENGLISH_NEGATIONS = SOURCE_NEGATIONS["en"]
# English words that carry a source negation faithfully without a negation word of their own.
ENGLISH_NEGATIVE_MEANING = ("refus", "declin", "deny", "deni", "unable", "without", "fail")
_WORD = re.compile(r"\w+")
_CONTRACTIONS = re.compile(r"n['\u2019]t\b", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lower-case words (NFC); English "n't" becomes the word "not"."""
    text = _CONTRACTIONS.sub(" not", unicodedata.normalize("NFC", text))
    return _WORD.findall(text.lower())


def negation_mismatch(source_text: str, language: str, english: str) -> bool:
    """True when the source is negative and the English does not say so, or the other way round.

    Not judged (False) for a language without a negation list."""
    lang = language.split("-")[0].lower()
    negations = SOURCE_NEGATIONS.get(lang)
    if negations is None:
        return False
    src, en = words(source_text), words(english)
    src_negative = any(w in negations for w in src)
    en_negative = any(w in ENGLISH_NEGATIONS for w in en)
    if src_negative and not en_negative:
        return not any(w.startswith(ENGLISH_NEGATIVE_MEANING) for w in en)
    if en_negative and not src_negative:
        return not any(w.startswith(SOURCE_NEGATIVE_MEANING.get(lang, ())) for w in src)
    return False


# -- person -----------------------------------------------------------------------------------------
def person_mismatch(source_text: str, language: str, english: str) -> bool:
    """True when the English speaks in a first person ("I", "my"; "we", "our") that the source cannot
    express (``shared.translation_morphology``: pronouns, possessives, auxiliaries, and the verb
    endings of the pro-drop languages). Not judged (False) for a language without rules there."""
    needed = english_first_persons(english)
    if not needed:
        return False
    allowed = allowed_first_persons(source_text, language)
    return allowed is not None and not needed <= allowed


def third_person_mismatch(source_text: str, language: str, english: str) -> bool:
    """True when the English has a third-person pronoun that no word of the source can stand behind
    (``shared.translation_morphology.third_person_unsaid``); False when not judged."""
    return bool(third_person_unsaid(source_text, language, english))


def plural_mismatch(source_text: str, language: str, english: str) -> bool:
    """True when the English names a plural thing ("the men") and the source has no plural at all
    ("esse homem": that man). Not judged (False) for a language without a list of plural markers."""
    if not english_plural_noun(english):
        return False
    allowed = source_allows_plural(source_text, language, numbers(source_text, language))
    return allowed is False


# -- numbers ----------------------------------------------------------------------------------------
def _lexicon(spec: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in spec.split():
        word, value = item.split("=")
        for form in word.split("/"):
            out[form] = int(value)
    return out


# Cardinal words 2-20, tens, hundred, thousand (1 is left out everywhere: it is also the article).
NUMBER_WORDS: dict[str, dict[str, int]] = {k: _lexicon(v) for k, v in {
    "en": "two=2 three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 thirteen=13 "
          "fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18 nineteen=19 twenty=20 thirty=30 forty=40 "
          "fifty=50 sixty=60 seventy=70 eighty=80 ninety=90 hundred=100 thousand=1000",
    "fr": "deux=2 trois=3 quatre=4 cinq=5 six=6 sept=7 huit=8 neuf=9 dix=10 onze=11 douze=12 treize=13 "
          "quatorze=14 quinze=15 seize=16 vingt/vingts=20 trente=30 quarante=40 cinquante=50 soixante=60 "
          "cent/cents=100 mille=1000",
    "es": "dos=2 tres=3 cuatro=4 cinco=5 seis=6 siete=7 ocho=8 nueve=9 diez=10 once=11 doce=12 trece=13 "
          "catorce=14 quince=15 dieciséis=16 diecisiete=17 dieciocho=18 diecinueve=19 veinte=20 treinta=30 "
          "cuarenta=40 cincuenta=50 sesenta=60 setenta=70 ochenta=80 noventa=90 cien/ciento/cientos=100 mil=1000 "
          "doscientos/doscientas=200 trescientos/trescientas=300 cuatrocientos/cuatrocientas=400 "
          "quinientos/quinientas=500 seiscientos=600 setecientos=700 ochocientos=800 novecientos=900",
    "pt": "dois/duas=2 três=3 quatro=4 cinco=5 seis=6 sete=7 oito=8 nove=9 dez=10 onze=11 doze=12 treze=13 "
          "catorze/quatorze=14 quinze=15 dezesseis/dezasseis=16 dezessete/dezassete=17 dezoito=18 "
          "dezenove/dezanove=19 vinte=20 trinta=30 quarenta=40 cinquenta=50 sessenta=60 setenta=70 oitenta=80 "
          "noventa=90 cem/cento=100 mil=1000 duzentos/duzentas=200 trezentos/trezentas=300 quatrocentos=400 "
          "quinhentos=500 seiscentos=600 setecentos=700 oitocentos=800 novecentos=900",
    "it": "due=2 tre=3 quattro=4 cinque=5 sei=6 sette=7 otto=8 nove=9 dieci=10 undici=11 dodici=12 tredici=13 "
          "quattordici=14 quindici=15 sedici=16 diciassette=17 diciotto=18 diciannove=19 venti=20 trenta=30 "
          "quaranta=40 cinquanta=50 sessanta=60 settanta=70 ottanta=80 novanta=90 cento=100 mille/mila=1000 "
          "duecento=200 trecento=300 quattrocento=400 cinquecento=500 seicento=600 settecento=700 ottocento=800 "
          "novecento=900",
    "de": "zwei=2 drei=3 vier=4 fünf=5 sechs=6 sieben=7 acht=8 neun=9 zehn=10 elf=11 zwölf=12 dreizehn=13 "
          "vierzehn=14 fünfzehn=15 sechzehn=16 siebzehn=17 achtzehn=18 neunzehn=19 zwanzig=20 dreißig=30 "
          "vierzig=40 fünfzig=50 sechzig=60 siebzig=70 achtzig=80 neunzig=90 hundert=100 tausend=1000",
    "nl": "twee=2 drie=3 vier=4 vijf=5 zes=6 zeven=7 acht=8 negen=9 tien=10 elf=11 twaalf=12 dertien=13 "
          "veertien=14 vijftien=15 zestien=16 zeventien=17 achttien=18 negentien=19 twintig=20 dertig=30 "
          "veertig=40 vijftig=50 zestig=60 zeventig=70 tachtig=80 negentig=90 honderd=100 duizend=1000",
    "ro": "doi/două=2 trei=3 patru=4 cinci=5 șase/şase=6 șapte/şapte=7 opt=8 nouă=9 zece=10 unsprezece=11 "
          "doisprezece/douăsprezece=12 treisprezece=13 paisprezece=14 cincisprezece=15 șaisprezece=16 "
          "șaptesprezece=17 optsprezece=18 nouăsprezece=19 douăzeci=20 treizeci=30 patruzeci=40 cincizeci=50 "
          "sută/sute=100 mie/mii=1000",
    "pl": "dwa/dwie/dwóch/dwoje/dwaj=2 trzy/trzech/troje=3 cztery/czterech=4 pięć/pięciu=5 sześć/sześciu=6 "
          "siedem/siedmiu=7 osiem/ośmiu=8 dziewięć/dziewięciu=9 dziesięć/dziesięciu=10 jedenaście=11 "
          "dwanaście=12 trzynaście=13 czternaście=14 piętnaście=15 szesnaście=16 siedemnaście=17 "
          "osiemnaście=18 dziewiętnaście=19 dwadzieścia=20 trzydzieści=30 czterdzieści=40 pięćdziesiąt=50 "
          "sto=100 tysiąc/tysiące/tysięcy=1000 dwieście=200 trzysta=300 czterysta=400 pięćset=500 sześćset=600 "
          "siedemset=700 osiemset=800 dziewięćset=900 drugiej=2 trzeciej=3 czwartej=4 piątej=5 szóstej=6 "
          "siódmej=7 ósmej=8 dziewiątej=9 dziesiątej=10 jedenastej=11 dwunastej=12",
}.items()}
_DIGITS = re.compile(r"\d{1,3}(?:[.,\u00a0 ]\d{3})+(?!\d)|\d+")


def numbers(text: str, language: str) -> set[int]:
    """The cardinal numbers said in ``text``: digit strings, and number words of ``language``
    ("twenty two" = 22, "dix-sept" = 17, "quatre-vingt" = 80, "three hundred" = 300, "trescientos",
    "dreihundert"; Polish hours as ordinals, "o dziesiątej" = at ten). 1 is left out."""
    lexicon = NUMBER_WORDS.get(language.split("-")[0].lower(), {})
    if language.startswith("de"):  # "dreihundert" = drei hundert
        text = re.sub(r"(\w)(hundert|tausend)", r"\1 \2", text, flags=re.IGNORECASE)
    values: set[int] = set()
    for m in _DIGITS.finditer(text):
        values.add(int(re.sub(r"\D", "", m.group())))
    run: list[int] = []
    for w in [*words(text), ""]:
        v = lexicon.get(w)
        if v is not None:
            run.append(v)
            continue
        if run:
            values.add(_combine(run, language))
            run = []
    return values - {1}


def _combine(run: list[int], language: str) -> int:
    total, current = 0, 0
    for v in run:
        if v in (100, 1000):
            current = max(current, 1) * v
            if v == 1000:
                total, current = total + current, 0
        elif language.startswith("fr") and current == 4 and v == 20:
            current = 80
        else:
            current += v
    return total + current


def _clock(values: set[int]) -> set[int]:
    """Values with their 12-hour / 24-hour readings (22 heures = 10 p.m.)."""
    return values | {v + 12 for v in values if v <= 12} | {v - 12 for v in values if 12 < v <= 24}


def number_mismatch(source_text: str, language: str, english: str) -> bool:
    """True when a number of the source is missing from the English, or the English adds one.

    A language without number words here is judged on the English digits it has (an English number
    word could be a source number word nobody listed, so only digits count for it)."""
    lang = language.split("-")[0].lower()
    src = numbers(source_text, lang)
    en = numbers(english, "en" if lang in NUMBER_WORDS else "zz")  # "zz": digits only
    return bool(en - _clock(src)) or bool(src - _clock(en))


# -- agreement of two decodes --------------------------------------------------------------------
# English words that carry no content of their own. Personal pronouns are *not* here: "I found" and
# "They found" must agree. Negations are not here either.
_FUNCTION_WORDS = """
a an the and or but if then so of to in on at by for from with into onto about as than that this these those
there here it its is are am was were be been being have has had having do does did will would shall should
can could may might must just also very what which who whom whose when where why how all any some each every
up down out off over again too only own same such more most other o clock oh well yes okay ok s t ll re ve d m
anything something everything anyone someone everyone anybody somebody everybody
"""
_PRONOUNS = "i me my mine we us our ours you your yours he him his she her hers they them their theirs"
_FUNCTION = frozenset(_FUNCTION_WORDS.split())
PRONOUNS = frozenset(_PRONOUNS.split())
MAX_UNSHARED = 0.2  # share of a passage's content stems (not pronouns, negations, numbers) worded differently
_SUFFIXES = ("ations", "ation", "ings", "ing", "ied", "ies", "ed", "es", "ers", "er", "ly", "s")


def stem(word: str) -> str:
    """A light English stem: a common suffix and a final e off, at most 5 letters ("refused" = "refuse")."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.removesuffix("e")[:5] if len(word) > 3 else word


_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def _content_stem(word: str) -> str:
    numerals = NUMBER_WORDS["en"]
    if word in ENGLISH_NEGATIONS:
        return "not"  # "never", "nothing", "no" and "not" all negate: stems would lose that
    if word in PRONOUNS:
        return word
    if word in _HAVE:
        return "have"
    ordinal = _ORDINAL.match(word)
    return str(numerals[word]) if word in numerals else ordinal.group(1) if ordinal else stem(word)


_HAVE = frozenset(("have", "has", "had", "having"))
_PARTICIPLE_WORDS = """been seen found left done gone made said told taken given come got put brought heard kept
lost met paid sent spoken stolen thought known run hit caught driven written shown not never no"""
_AFTER_AUXILIARY = frozenset(_PARTICIPLE_WORDS.split())


def _function_word(word: str, following: str) -> bool:
    """A word without content of its own here; "have" is one only before a participle ("We have seen
    two men"), not as the main verb ("We have two men" says something else)."""
    if word in _HAVE:
        return following.endswith(("ed", "en", "wn")) or following in _AFTER_AUXILIARY
    return word in _FUNCTION


def content(text: str) -> set[str]:
    """Stems of the content words of an English text (pronouns as they are; every negation as "not";
    number words and ordinals as digits, so "ten" agrees with "10" and "14th" is the number 14; "have"
    as a main verb)."""
    ws = words(text)
    return {_content_stem(w) for k, w in enumerate(ws) if not _function_word(w, ws[k + 1] if k + 1 < len(ws) else "")}


# English words two faithful readings use for one another in statements (one class a group). Two
# decodes that word a sentence with these differently still agree.
_SYNONYM_CLASSES = """
home house flat | bag backpack rucksack handbag | phone telephone mobile cellphone | car vehicle
police officers officer policemen policeman cops | station precinct | talk speak spoke spoken say said tell told
inside in into within | under below beneath underneath | near close beside next by | arrive arrived came come
got reached | leave left exit went go | answer reply respond | refuse declined decline | lawyer solicitor
attorney counsel | money cash | night evening | saw see seen noticed spotted watched | took taken brought
bring led | found discovered recovered | arrested detained apprehended held | man guy | woman lady
kids children child | knife blade | street road | shop store | keys key | drive drove driven
"""


def _synonym_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in _SYNONYM_CLASSES.replace("\n", " ").split("|"):
        stems = [stem(w) for w in group.split()]
        for st in stems:
            table.setdefault(st, stems[0])
    return table


SYNONYMS = _synonym_table()


def _cognate(stem_: str, source_words: list[str]) -> bool:
    """``stem_`` (an English content stem of 4-5 letters) begins a word of the source transcript
    (accents folded): "victim" / "víctima", "police" / "policía", "family" / "familia"."""
    return len(stem_) >= 4 and not stem_.isdigit() and any(w.startswith(stem_) for w in source_words)


def _folded(text: str) -> list[str]:
    return ["".join(c for c in unicodedata.normalize("NFD", w) if unicodedata.category(c) != "Mn")
            for w in words(text)]


def disagreement(text: str, second: str, max_share: float = MAX_UNSHARED, source_text: str = "") -> bool:
    """True when ``second`` (another reading of the same window) does not vouch for ``text``: one of
    them is negative and the other not, they do not say the same numbers, a personal pronoun of
    ``text`` is not in it, or more than ``max_share`` of ``text``'s other content stems are in
    neither it nor, as the start of a word, the ``source_text`` (a cognate: "victim" for "víctima").

    The source transcript never stands in for the second reading: measured, that showed invented
    passages that follow a misheard transcript ("We do not have the night." for "no tenemos noche",
    docs/benchmarks.md)."""
    a, b = content(text), content(second)
    if not a:
        return False
    if bool(a & ENGLISH_NEGATIONS) != bool(b & ENGLISH_NEGATIONS):
        return True
    if {w for w in a if w.isdigit()} != {w for w in b if w.isdigit()}:
        return True
    if not a & PRONOUNS <= b:
        return True
    proper = {w for w in a if w not in PRONOUNS and w not in ENGLISH_NEGATIONS and not w.isdigit()}
    source = _folded(source_text)
    other = {SYNONYMS.get(w, w) for w in b}
    unvouched = [w for w in proper - b if SYNONYMS.get(w, w) not in other and not _cognate(w, source)]
    return len(unvouched) > max_share * len(proper)


SECOND_TEMPERATURE = 0.6
SECOND_BEST_OF = 5


def second_opinion_options(options: TranscriptionOptions) -> TranscriptionOptions:
    """The decode that must agree with ``options``' one: sampling (best of ``SECOND_BEST_OF`` at
    ``SECOND_TEMPERATURE``, seeded by the engine, so it repeats exactly) instead of beam search.

    Measured alternatives (docs/benchmarks.md): greedy repeats beam search's confident errors; a
    prompt with the source-language transcript makes Whisper copy the transcript instead of translating."""
    return replace(options, temperatures=(SECOND_TEMPERATURE,), best_of=SECOND_BEST_OF)


def cross_check(source_text: str, language: str, english: str,
                source_words: Sequence[tuple[str, float]] | None = None) -> str | None:
    """``UNVERIFIED`` when the English contradicts the source transcript on negation, numbers, the
    first person, a plural, a third-person pronoun, a second person (``shared.translation_address``),
    a noun's number (``shared.translation_number``), loses its past, or names a lexicon noun the
    source does not say."""
    if (negation_mismatch(source_text, language, english) or number_mismatch(source_text, language, english)
            or person_mismatch(source_text, language, english) or plural_mismatch(source_text, language, english)
            or third_person_mismatch(source_text, language, english)
            or second_person_mismatch(source_text, language, english)
            or noun_number_mismatch(source_text, language, english, numbers(source_text, language))
            or past_lost(source_text, language, english)
            or bool(uncorroborated(source_text, language, english, source_words))):
        return UNVERIFIED
    return None
