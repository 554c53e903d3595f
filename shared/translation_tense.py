"""Tense in a source-language transcript against its English translation
(``shared.translation_verify.cross_check``): a past said in the source must be a past in the English.

The source is *in the past* when it has a compound past (an auxiliary and a participle:
"Wir haben zwei Männer gesehen", "Ils sont arrivés", "hanno trovato", "am ajuns"), a simple
past or imperfect read from verb endings (es -ó/-aron/-ieron/-aba, pt -ou/-aram/-eram/-ava, it
-ava/-eva/-ò, pl -ł/-ła/-li/-łem, ro -eau, fr -ait/-aient) or one of the common irregular past
forms listed per language ("fue", "foi", "war", "była"). An ending is read only on a word that is
not listed as something else (``NOT_PAST``: nouns and present forms that end the same way: es
"policía", pt "sou", "meu", pl "dla") and, for the Romance endings, not right after an article or
preposition (a noun: "la policía").

``past_lost`` is true when the source is in the past and the English has no past form at all
(``english_past``): "The witnesses do not recognize the driver" for *no reconocieron*. The other
direction (a present source, an English past) is not judged: a past form missing from these lists
would withhold faithful passages (docs/benchmarks.md). Deterministic; word lists lower case, NFC.
"""

from __future__ import annotations

import re
import unicodedata

# -- the source -------------------------------------------------------------------------------------
PERFECT: dict[str, re.Pattern[str]] = {k: re.compile(v, re.IGNORECASE) for k, v in {
    "de": r"\b(habe|hast|hat|haben|habt|hatte|hatten|bin|bist|ist|sind|seid|war|waren)\b[^.,;]*"
          r"(\bge\w+(t|en)\b|\b(ver|er|be|ent|zer|emp|miss)\w+(t|en)\s*([.,;!?]|$)|\w+iert\b)",
    "fr": r"\b(ai|as|a|avons|avez|ont|suis|es|est|sommes|êtes|sont)\s+(\w+\s+)?"
          r"\w+(é|ée|és|ées|i|u|us|is|it|vu|fait|dit|pris|mis)\b",
    "es": r"\b(he|has|ha|hemos|han)\s+\w+(ado|ido|visto|hecho|dicho|puesto)\b",
    "pt": r"\b(tenho|tens|tem|temos|têm)\s+\w+(ado|ido|visto|feito|dito|posto)\b",
    "it": r"\b(ho|hai|ha|abbiamo|avete|hanno|sono|sei|è|siamo|siete)\s+(\w+\s+)?"
          r"\w*(ato|ata|ati|ate|uto|ito|visto|fatto|detto|preso|messo)\b",
    "ro": r"\b(am|ai|a|au|ați)\s+\w+(at|it|ut|zut|ăzut|âns|uns|ers|is|us|as|st)\b",
}.items()}


def _split(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


# Simple past and imperfect endings (on words of at least 4 letters).
PAST_ENDINGS: dict[str, tuple[str, ...]] = {
    "es": ("é", "í", "ó", "aron", "ieron", "iste", "aste", "aba", "aban", "ábamos", "ían", "ió"),
    "pt": ("ou", "aram", "eram", "iram", "ava", "avam", "ávamos", "iam", "eu", "iu", "ei"),
    "it": ("ava", "avano", "eva", "evano", "iva", "ivano", "ò", "ì"),
    "fr": ("ait", "aient"),
    "pl": ("ł", "ła", "ło", "li", "ły", "łem", "łam", "łeś", "łaś", "liśmy", "łyśmy", "łam"),
    "ro": ("eau", "eam", "ise", "use"),
    "de": (),
}
# Irregular or short past forms, per language.
PAST_WORDS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "vimos dijimos hicimos tuvimos estuvimos pusimos vinimos "
          "fue fui fueron fuimos estuvo estuve estuvieron tuvo tuve tuvieron hizo hice hicieron dijo dije dijeron "
          "vino vine vinieron puso puse pudo pude quiso quise supo vio vi vieron dio di había habían era eran "
          "estaba estaban tenía tenían sabía conocía",
    "pt": "vimos fizemos tivemos estivemos dissemos pusemos viemos "
          "foi fui foram fomos esteve estive estiveram teve tive tiveram fez fiz fizeram disse disseram veio vim "
          "vieram pôs pus pude pôde quis soube viu vi viram deu dei deram era eram estava estavam tinha tinham "
          "havia sabia conhecia",
    "it": "era erano ero eravamo fu fui furono ebbe ebbi aveva avevo avevano disse dissi fece feci vide vidi "
          "venne venni stava stavano stavo avevo ero facevo",
    "fr": "était étaient étais avait avaient avais fut furent eut firent fit dit vint",
    "de": "war waren warst hatte hatten wurde wurden ging gingen kam kamen sah sahen fand fanden sagte sagten "
          "machte machten fuhr fuhren lief liefen schlief schliefen stand standen saß saßen gab gaben nahm nahmen "
          "rief riefen hörte hörten wollte wollten konnte konnten musste mussten sollte sollten durfte wusste "
          "dachte brachte brachten blieb blieben sprach sprachen traf trafen verließ verlor verloren stahl "
          "stahlen schlug schlugen rannte rannten erkannte erkannten kannte kannten",
    "pl": "był była było byli były",
    "ro": "era erau eram avea aveau aveam fu fură",
}.items()}
# Words that end like a past form but are nouns, adverbs or present forms.
NOT_PAST: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "qué sé dé fe café bebé usted comité puré "
          "policía día tía vía todavía compañía bahía alegría lía aquí allí así sí "
          "mí ti banco bolso acaba",
    "pt": "sou estou vou dou sei lei meu seu teu eu céu chapéu museu judeu europeu ou pneu réu sou mais "
          "depois polícia dia tia via família companhia bahia",
    "it": "però perciò ciò più già può giù così lì là sì",
    "fr": "fait sait lait trait plait plaît refait",
    "pl": "dla mało ciało szkoła koło siła skała masło biało stało dziecko wioła "
          "jeśli gdyby myśli",
    "ro": "ceau",
    "de": "",
}.items()}
NOUN_MARKERS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "el la los las un una unos unas del al mi su tu de en",
    "pt": "o a os as um uma do da dos das no na meu minha seu sua de em",
    "it": "il lo la i gli le un una del della al alla nel nella",
    "fr": "le la les un une des du mon ma mes son sa ses",
}.items()}
_WORD = re.compile(r"\w+")


def source_past(text: str, language: str) -> bool | None:
    """Whether ``text`` says something in the past (compound past, a past ending, a listed past form);
    None for a language without rules here."""
    lang = language.split("-")[0].lower()
    if lang not in PAST_WORDS:
        return None
    text = unicodedata.normalize("NFC", text)
    pattern = PERFECT.get(lang)
    if pattern is not None and pattern.search(text):
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    for k, w in enumerate(words):
        if w in PAST_WORDS[lang]:
            return True
        if len(w) < 4 or w in NOT_PAST[lang] or (k and words[k - 1] in NOUN_MARKERS.get(lang, ())):
            continue
        if w.endswith(PAST_ENDINGS[lang]) and not (lang == "it" and w.endswith("rò")):  # "farò": a future
            return True
    return False


# -- the English ------------------------------------------------------------------------------------
_ENGLISH_PAST_WORDS = """saw went came took found left told said made got gave brought heard kept lost met paid sent
spoke stole thought knew ran hit caught drove wrote showed sat stood slept woke fell ate drank bought sold held
felt began broke chose forgot hid rang rode shot threw understood won wore fled fought led meant struck taught
tore became built dug drew flew grew hung spent stuck was were did had didn wasn weren hadn"""
_ENGLISH_PARTICIPLE_WORDS = """been seen gone come taken done given known spoken stolen driven written shown
broken beaten bitten chosen eaten fallen forgotten hidden ridden risen shaken woken worn torn thrown grown flown
drawn blown begun found left told said made got brought heard kept lost met paid sent put run hit caught"""
ENGLISH_PAST = _split(_ENGLISH_PAST_WORDS)
ENGLISH_PARTICIPLES = _split(_ENGLISH_PARTICIPLE_WORDS)
_NOT_ENGLISH_PAST = _split("red bed shed need seed feed speed indeed hundred naked sacred wicked ted fred")
_HAVE = _split("have has haven hasn")


def english_past(english: str) -> bool:
    """The English has a past form: "was", "did", an irregular past ("saw"), a regular "-ed" (not
    "hundred"), or "have"/"has" with a participle ("has arrived", "have not seen")."""
    words = [w.lower() for w in _WORD.findall(english.replace("\u2019", "'").replace("'ve", " have"))]
    for k, w in enumerate(words):
        if w in ENGLISH_PAST or (w.endswith("ed") and len(w) > 3 and w not in _NOT_ENGLISH_PAST):
            return True
        if w in ENGLISH_PARTICIPLES and any(x in _HAVE for x in words[max(0, k - 3):k]):
            return True
    return False


def past_lost(source_text: str, language: str, english: str) -> bool:
    """True when the source says something in the past and the English has no past form at all:
    "We have two men" for "Wir haben zwei Männer gesehen", "They are coming" for "Ils sont
    arrivés", "The witnesses do not recognize the driver" for "no reconocieron". False when the
    language has no rules here, or the English is empty."""
    if not _WORD.search(english) or not source_past(source_text, language):
        return False
    return not english_past(english)
