"""Grammatical second person: an English "you" must be backed by a second person in the source
(``shared.translation_verify.cross_check``). Whisper's confident mistranslations turn a third person
into the person spoken to ("vor ihrem Mann" → "She is afraid of you") and invent an address where
the source has none ("Do you know what I mean?").

A source *addresses someone* when it has a second-person pronoun, clitic, possessive or verb form
(``SECOND_PERSON_WORDS``, ``SECOND_PERSON_ENDINGS``): fr tu/te/toi/ton/vous/votre; de du/dich/dir/
dein/ihr/euch/euer/Sie/Ihnen and "-st" forms (bist, hast, warst); es tú/te/ti/usted/os/vuestro and
-aste/-iste/-abas/-áis forms; pt tu/te/ti/você/vocês/senhor and -aste/-este/-iste/-avas forms; it
tu/te/ti/voi/vi/Lei and -asti/-esti/-isti/-avi/-evi forms; pl ty/cię/ci/tobie/wy/was/pan/pani and
-łeś/-łaś/-esz/-isz/-cie forms; ro tu/te/ți/voi/vă/dumneavoastră/ai/ați and -ai/-eai/-ați/-eți forms.
Polite address in the third person is allowed for: the pronouns that double as "you" are listed
(de "sie", it "lei", es "su", pt "seu"), and in es, pt and it, whose polite "you" drops its pronoun
and takes a third-person verb ("¿Vio a los hombres?"), a source that asks a question allows "you".
Generic "you" is allowed where the source has an impersonal pronoun (fr "on", de "man").

Only a source that clearly has no second person contradicts an English one; languages without a
list are not judged. "Thank you" is not an address. Deterministic; word lists lower case, NFC.
"""

from __future__ import annotations

import re
import unicodedata


def _split(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


SECOND_PERSON_WORDS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "fr": "tu t te toi ton ta tes vous votre vos vôtre vôtres on",
    "de": "du dich dir dein deine deinen deinem deiner deines euch euer eure euren eurem eurer ihnen "
          "bist hast warst hattest kannst willst musst sollst weißt weisst gehst kommst siehst man",
    "es": "tú tu tus te ti contigo usted ustedes os vosotros vosotras vuestro vuestra vuestros vuestras su sus "
          "le les eres estás estas tienes has vas sabes puedes quieres dices haces vienes conoces viste fuiste",
    "pt": "tu te ti contigo teu tua teus tuas você vocês voce voces senhor senhora senhores senhoras vós vos "
          "vosso vossa vossos vossas lhe lhes seu sua seus suas és estás tens vais sabes podes queres dizes "
          "fazes vens viste foste",
    "it": "tu te ti tuo tua tuoi tue voi vi vostro vostra vostri vostre lei le suo sua suoi sue "
          "hai sei eri vuoi puoi sai devi fai vai stai avete siete",
    "pl": "ty cię cie ci ciebie tobie tobą twój twoja twoje twojego twojej twoim twoich twoi wy was wam wami "
          "wasz wasza wasze waszego waszej waszym waszych pan pani pana panu panem panią państwo państwa "
          "pański jesteś masz wiesz możesz chcesz byłeś byłaś jesteście macie",
    "ro": "tu te ți ţi îți îţi tău ta tăi tale voi vă v vi vostru voastră voștri voştri voastre "
          "dumneavoastră dumneata dvs ai ați aţi ești eşti erai aveai",
}.items()}
# Verb endings that are second person only (on words of at least 5 letters, not right after a
# preposition or article: "w mieście" is a place, not "you").
SECOND_PERSON_ENDINGS: dict[str, tuple[str, ...]] = {
    "es": ("aste", "iste", "abas", "ías", "áis", "éis", "asteis", "isteis", "rás", "rías"),
    "pt": ("aste", "este", "iste", "avas", "ias", "ásteis", "estes", "istes", "rás", "rias"),
    "it": ("asti", "esti", "isti", "avi", "evi", "ivi", "rai", "reste", "avate", "evate", "ivate"),
    "pl": ("łeś", "łaś", "esz", "isz", "ysz", "asz", "liście", "łyście", "ście", "cie"),
    "ro": ("eai", "ați", "aţi", "eți", "eţi", "iți", "iţi", "ași", "uși", "ăși"),
    "de": ("test", "tetest"),
    "fr": ("ez",),  # vous dites / avez / êtes are caught by "vous"; "-ez" alone: an imperative ("Dites-moi" has none)
}
NOT_SECOND: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "este triste", "pt": "este leste oeste triste", "it": "questi", "pl": "nasz grosz kosz już",
    "ro": "mai", "de": "", "fr": "chez nez assez",
}.items()}
AFTER_PREPOSITION: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "pl": "w we na z ze do od przy po dla bez o pod nad za przed",
    "es": "el la los las un una de en con por para", "pt": "o a os as um uma de em com por para no na",
    "it": "il la i le un una di in con per da su", "ro": "în pe la cu din de", "de": "", "fr": "",
}.items()}
# German "Sie" is "you" with a plural verb ("Haben Sie", "Sie waren"), "she" with a singular one
# ("Sie hat Angst"); "ihr" is "you" with its own verb ("ihr habt", "seid ihr"), else "her"/"their".
GERMAN_POLITE_VERBS = _split("haben sind waren hatten können wollen müssen sollen dürfen werden wurden wissen")
# Languages whose polite "you" drops its pronoun and takes a third-person verb: a question allows "you".
POLITE_PRO_DROP = frozenset(("es", "pt", "it"))
ENGLISH_SECOND = _split("you your yours yourself yourselves ya")
_THANK_YOU = re.compile(r"\bthank\s+you\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def english_addresses(english: str) -> bool:
    """The English speaks to someone: "you", "your", ... ("thank you" is not counted)."""
    text = _THANK_YOU.sub(" ", english.replace("\u2019", "'"))
    return any(w in ENGLISH_SECOND for w in _WORD.findall(text.lower()))


def source_addresses(source_text: str, language: str) -> bool | None:
    """Whether the source can speak to someone (see the module docstring); None when not judged."""
    lang = language.split("-")[0].lower()
    words_of = SECOND_PERSON_WORDS.get(lang)
    if words_of is None:
        return None
    text = unicodedata.normalize("NFC", source_text).replace("'", " ").replace("\u2019", " ").replace("-", " ")
    if lang in POLITE_PRO_DROP and ("?" in text or "¿" in text):
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    endings = SECOND_PERSON_ENDINGS.get(lang, ())
    if lang == "de" and _german_address(text):
        return True
    for k, w in enumerate(words):
        if w in words_of:
            return True
        if len(w) >= 5 and w.endswith(endings) and w not in NOT_SECOND.get(lang, ()) \
                and not (k and words[k - 1] in AFTER_PREPOSITION.get(lang, ())):
            return True
    return False


def _german_address(text: str) -> bool:
    """A German clause with "sie" beside a plural verb (polite "you"), or "ihr" beside its own verb."""
    for clause in re.split(r"[.,;:!?]", text):
        words = [w.lower() for w in _WORD.findall(clause)]
        for k, w in enumerate(words):
            near = words[max(0, k - 1):k] + words[k + 1:k + 2]
            if w == "sie" and (any(x.endswith("en") or x in ("sind", "seid") for x in near)
                               or set(words) & GERMAN_POLITE_VERBS):
                return True
            if w == "ihr" and any(x.endswith("t") or x in ("seid",) for x in near):
                return True
    return False


def second_person_mismatch(source_text: str, language: str, english: str) -> bool:
    """True when the English says "you" and the source has no second person at all."""
    return english_addresses(english) and source_addresses(source_text, language) is False
