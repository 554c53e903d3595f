"""The benchmark's judge of a translated passage: faithful, invented or empty, against the reference
translations of the sentences that passage itself translates (reproducible, no model).

A passage *translates* the sentences it overlaps by at least ``MIN_COVER`` of the sentence's or the
passage's duration (at least the one it overlaps most), and is judged against those only: a
neighbouring sentence never lends it a word ("I found the phone" for *encontraron* is not saved by
the previous sentence's "I was at home").

Its *content words* are its words less the English function words in ``FUNCTION_WORDS``; personal
pronouns, negations, numbers, names and degree words ("more than two men" is not "two men") are
content. A content word is **supported** when its lemma (``lemma``: lower case, a regular English
ending off: "refused" = "refuse", "officers" = "officer")
is the lemma of a word of a translated sentence's reference, of its ``also`` list, or is a word of
the source sentence itself (a name or a word left untranslated, accents folded). The passage is
**invented** when it has one unsupported content word, a grammatical-number change ("the men" for a
reference that says "man", "the phone" where it says "phones", unless ``also`` lists that form), a
pronoun the references do not have ("I" for "They"), drops the negation of a negative reference,
or changes the tense (``tense_changed``: a past reference, simple or compound, rendered with no past
form at all, "The witnesses do not recognize the driver" for *no reconocieron*, or a reference with
no past rendered in the past); **faithful** when none; **empty** when it has no text. Omissions are
not judged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from shared.translation_guard import stock_phrase

MIN_COVER = 0.4
_FUNCTION_WORDS = """
a an the and or but if then so of to in on at by for from with without into onto about as that this these
those there here it its it's was were is are am
be been being have has had having do does did will would shall should can could may might must just also very
what which who whom whose when where why how all any some each every up down out off over too own same
such other let's o'clock
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
NEGATIONS = frozenset(("not", "no", "never", "nothing", "nobody", "none", "neither", "nor"))
_CONTRACTIONS = {"i'm": "i", "i've": "i", "i'll": "i", "i'd": "i", "he's": "he", "she's": "she", "we're": "we",
                 "they're": "they", "you're": "you", "we've": "we", "they've": "they", "you've": "you",
                 "won't": "will not", "can't": "can not", "cannot": "can not"}
_WORD = re.compile(r"[\w']+")
_ENDINGS = ("ing", "ied", "ies", "ed", "es", "s")


@dataclass(frozen=True)
class Sentence:
    text: str
    en: str
    also: tuple[str, ...]
    start: float
    end: float


def fold(word: str) -> str:
    """Lower case, accents off ("João" = "joao")."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def lemma(word: str) -> str:
    """``word`` less "'s" and one regular English ending, less a final "e" ("refused", "refuses",
    "refuse" → "refus"; "officers" → "officer"; "was" stays "was": three letters are kept)."""
    w = fold(word).strip("'").removesuffix("'s")
    for ending in _ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= 3 and not w.endswith("ss"):
            w = w[: -len(ending)] + ("y" if ending in ("ied", "ies") else "")
            break
    return w.removesuffix("e") if len(w) > 3 else w


_HAVE = frozenset(("have", "has", "had", "having"))
_PARTICIPLE_WORDS = """been seen found left done gone made said told taken given come got had put brought heard
kept lost met paid sent spoken stolen thought known run hit caught driven written shown"""
_PARTICIPLES = frozenset(_PARTICIPLE_WORDS.split())


def _auxiliary(word: str, following: str) -> bool:
    """``word`` is a function word here: any of ``FUNCTION_WORDS`` except "have" before no participle
    ("We have two men" is not "We saw two men"; "We have seen" is)."""
    if word not in FUNCTION_WORDS:
        return False
    if word in _HAVE:
        return following.endswith(("ed", "en", "wn")) or following in _PARTICIPLES or following in ("not", "never")
    return True


def content_words(text: str) -> list[str]:
    text = text.replace("\u2019", "'").replace("\u00b4", "'").replace("`", "'")
    words = [_CONTRACTIONS.get(w.lower(), w.lower()) for w in _WORD.findall(text)]
    split = [w.strip("'") for part in (w.replace("n't", " not") for w in words) for w in part.split()]
    return [w for k, w in enumerate(split) if not _auxiliary(w, split[k + 1] if k + 1 < len(split) else "")]


def _plural_change(word: str, exact: set[str]) -> bool:
    """``word`` is the other grammatical number of a reference word that is not itself listed."""
    if word in exact:
        return False
    singular = [word[:-1], word[:-2]] if word.endswith("s") and not word.endswith("ss") else []
    plural = [word + "s", word + "es"]
    return any(w in exact for w in singular + plural)


def unsupported(text: str, references: list[Sentence]) -> list[str]:
    """Content words of ``text`` that none of ``references`` (reference, also, source) supports, and
    grammatical-number changes (marked "(number) WORD")."""
    ref_words = [w for s in references for part in (s.en, " ".join(s.also)) for w in content_words(part)]
    exact = set(ref_words)
    lemmas = {lemma(w) for w in ref_words}
    source = {fold(w) for s in references for w in _WORD.findall(s.text)}
    out = []
    for w in content_words(text):
        if fold(w) in source and w not in NEGATIONS:
            continue
        if lemma(w) not in lemmas:
            out.append(w)
        elif _plural_change(w, exact):
            out.append(f"(number) {w}")
    return out


def negative(text: str) -> bool:
    return bool(set(content_words(text)) & NEGATIONS)


# -- tense -------------------------------------------------------------------------------------------
_IRREGULAR_PAST = """saw went came took found left told said made got gave brought heard kept lost met paid sent
spoke stole thought knew ran hit caught drove wrote showed sat stood slept woke fell ate drank bought sold held
felt began broke chose forgot hid rang rode shot threw understood won wore fled fought lay led meant read sang
struck swore taught tore became bit blew built burnt dug drew flew forgave froze grew hung hurt let lit put
quit rose sank shook shut spent split spread stuck stung swam swung wept"""
_MORE_PARTICIPLES = """broken beaten bitten chosen eaten fallen forgotten hidden ridden risen shaken stuck woken
worn torn thrown grown flown drawn blown begun drunk rung sung swum sunk"""
_PAST_PARTICIPLES = _PARTICIPLES | frozenset(_MORE_PARTICIPLES.split())
PAST_FORMS = frozenset(_IRREGULAR_PAST.split()) | frozenset(("was", "were", "had", "did"))
# Words ending in "-ed" that are not verbs' past forms.
_NOT_PAST_WORDS = """red bed shed need needs seed feed speed indeed hundred hundreds naked sacred wicked ted fred
ahmed mohammed sled shred bleed breed greed weed freed"""
NOT_PAST = frozenset(_NOT_PAST_WORDS.split())
_PRESENT_BE = frozenset(("am", "is", "are", "be", "being", "m", "re", "s", "isn", "aren"))
_ADVERBS = frozenset(("not", "never", "very", "so", "too", "really", "always", "still", "also", "quite", "all"))


def _words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text.lower().replace("\u2019", "'").replace("n't", " not"))
            for w in w.replace("'", " ").split()]


def past(text: str) -> bool:
    """``text`` has a past form: "was", "did", "had", an irregular simple past ("saw"), a regular
    "-ed" form, or "have"/"has" before a participle ("has arrived": the present perfect that
    renders a compound past). A participle or "-ed" word right after a present "be" ("She is
    scared", "The window is broken") is an adjective or a present passive, not a past."""
    ws = _words(text)
    for k, w in enumerate(ws):
        before = [x for x in ws[max(0, k - 2):k] if x not in _ADVERBS][-1:]
        after_be = bool(before) and before[0] in _PRESENT_BE
        participle = (w.endswith("ed") and len(w) > 3 and w not in NOT_PAST) or w in _PAST_PARTICIPLES
        if w in PAST_FORMS or (participle and not after_be):
            return True
    return False


def tense_changed(text: str, references: list[Sentence]) -> bool:
    """The references agree on past (every one has a past form) or non-past (none has) and ``text``
    does not: a past rendered without any past form, or a present or future rendered in the past.
    References that mix the two are not judged here."""
    tenses = {past(s.en) for s in references}
    return len(tenses) == 1 and past(text) != tenses.pop()


def judge(text: str, references: list[Sentence]) -> dict[str, Any]:
    """The verdict on ``text`` against the sentences it translates."""
    missing = unsupported(text, references)
    if text.strip() and any(negative(s.en) for s in references) and not negative(text):
        missing.append("(negation dropped)")
    if text.strip() and tense_changed(text, references):
        missing.append("(tense changed)")
    return {"invented": bool(missing), "empty": not text.strip(), "unsupported": missing,
            "stock_phrase": stock_phrase(" ".join(s.text for s in references), text)}


def translated(start: float, end: float, spans: list[Sentence]) -> list[Sentence]:
    """The sentences a passage spanning ``start..end`` translates (see ``MIN_COVER``)."""
    def overlap(s: Sentence) -> float:
        return min(end, s.end) - max(start, s.start)

    hit = [s for s in spans if overlap(s) >= MIN_COVER * min(s.end - s.start, max(end - start, 1e-3))]
    if hit:
        return hit
    mid = (start + end) / 2
    return [max(spans, key=lambda s: (overlap(s), -abs((s.start + s.end) / 2 - mid)))]
