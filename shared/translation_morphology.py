"""Grammatical first person in a source-language sentence, for checking an English translation's
"I" / "we" against it (``shared.translation_verify.person_mismatch``).

A source *allows* the first person singular (``FIRST_SINGULAR``) or plural (``FIRST_PLURAL``) when it
has a pronoun, possessive, clitic or auxiliary of that person, or, in the pro-drop languages (es,
pt, it, ro, pl), a verb form whose ending can be that person: "Llegué" (I arrived), "Estaba" (I or
he was), "Vimos" (we saw), "Widziałem" (I saw). An ending is read only where it is not a noun's or a
participle's: a word right after an article, determiner or preposition is a noun ("el teléfono",
"la policía"), and common adverbs, conjunctions and numbers are listed out. Ambiguous forms allow
every person they can be ("estaba": first or third singular; Romanian "am": I or we), so only a
source that *clearly* has no first person contradicts an English one ("Encontraron el teléfono":
*they* found it, never "I found it").

Languages without rules here are not judged (``allowed_first_persons`` returns None). Deterministic;
word lists are lower case, NFC.
"""

from __future__ import annotations

import re
import unicodedata

FIRST_SINGULAR = "1sg"
FIRST_PLURAL = "1pl"


def _split(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


# Words that mark the first person on their own, singular and plural, per language.
SINGULAR_WORDS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "en": "i me my mine myself",
    "fr": "je j me m moi mon ma mes suis ai",
    "de": "ich mich mir mein meine meinen meinem meiner meines",
    "nl": "ik mij me mijn",
    "es": "yo me mi mis mí conmigo soy estoy voy doy he sé era tenía",
    "pt": "eu me mim meu minha meus minhas comigo sou estou vou dou hei tenho tinha vinha era estava ia fui",
    "it": "io mi me mio mia miei mie ho sono ero avevo stavo",
    "ro": "eu mă m mi îmi meu mea mei mele am sunt eram",
    "pl": "ja mnie mi mną mój moja moje moi mojego mojej moim jestem mam wiem",
}.items()}
PLURAL_WORDS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "en": "we us our ours ourselves",
    "fr": "nous notre nos sommes avons on",
    "de": "wir uns unser unsere unseren unserem unserer",
    "nl": "wij we ons onze",
    "es": "nosotros nosotras nos nuestro nuestra nuestros nuestras somos estamos vamos hemos",
    "pt": "nós nos nosso nossa nossos nossas conosco connosco somos estamos vamos temos fomos",
    "it": "noi ci nostro nostra nostri nostre siamo abbiamo eravamo",
    "ro": "noi ne ni nostru noastră noștri noastre am suntem eram",
    "pl": "my nas nam nami nasz nasza nasze naszego naszej naszym jesteśmy mamy",
}.items()}
# Verb endings that can be the first person (pro-drop languages only), singular and plural.
SINGULAR_ENDINGS: dict[str, tuple[str, ...]] = {
    "es": ("é", "í", "aba", "ía", "o"),
    "pt": ("ei", "ava", "ia", "i", "o"),
    "it": ("ai", "ei", "ii", "o"),
    "ro": ("am", "ez", "esc", "sem"),
    "pl": ("łem", "łam", "ę"),
}
PLURAL_ENDINGS: dict[str, tuple[str, ...]] = {
    "es": ("amos", "emos", "imos"),
    "pt": ("amos", "ámos", "emos", "imos"),
    "it": ("iamo", "ammo", "emmo", "immo"),
    "ro": ("ăm", "em", "im", "am", "sem"),
    "pl": ("śmy", "my"),
}
# A word right after one of these is read as a noun or adjective (after an article, determiner or
# preposition) or a participle (after an auxiliary: "hanno visto"), never as a finite verb.
NOUN_MARKERS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "el la los las lo un una unos unas del al este esta estos estas ese esa esos esas aquel aquella "
          "su sus tu tus mi mis de en con por para sin sobre a he has ha hemos han había habían",
    "pt": "o a os as um uma uns umas do da dos das no na nos nas ao aos pelo pela este esta esse essa aquele "
          "aquela seu sua seus suas de em com por para sem tenho tem temos têm tinha tinham",
    "it": "il lo la i gli le un uno una del dello della dei degli delle al allo alla ai agli alle nel nello "
          "nella nei negli nelle sul sullo sulla dal dallo dalla questo questa quel quello quella suo sua di "
          "in con per da su tra fra a ho hai ha abbiamo avete hanno è sono siamo era erano",
    "ro": "un o unui unei al ale cu de la în pe din pentru fără am ai a au ați",
    "pl": "w we na z ze do od przy po dla bez o pod nad za przed",
}.items()}
# Words whose ending looks like a verb's but that are adverbs, conjunctions, numbers or pronouns.
NOT_VERBS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "aquí allí ahí así sí qué quién cuándo dónde cómo como cuando donde dentro debajo abajo arriba mucho "
          "poco pronto luego todo algo solo mismo tampoco tanto cuanto pero otro ello eso esto aquello cuatro "
          "cinco ocho ciento medio centro fuego largo claro tiempo año caso modo lado día policía vía",
    "pt": "aqui ali aí assim sim onde como quando dentro muito pouco logo tudo algo só mesmo também tanto "
          "quanto otro outro isso isto aquilo quatro cinco oito cento meio centro tempo ano caso modo lado "
          "dia polícia via daí ali lá até",
    "it": "come quando dove dentro molto poco presto dopo tutto solo stesso tanto quanto altro questo quello "
          "cinque otto quattro cento mezzo centro tempo anno caso modo lato però perciò ciò cosa sei nei dei "
          "lei mai",
    "ro": "sam cam",
    "pl": "się tę mię",
}.items()}
PARTICIPLE_ENDINGS = ("ado", "ido", "ato", "uto", "ito", "ada", "ida")
# Endings that are another person although they end like a first-person form (Italian third person
# plural "hanno", "parlano", "vedevano").
OTHER_PERSON_ENDINGS: dict[str, tuple[str, ...]] = {"it": ("ano", "ono", "nno")}
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[tuple[str, bool]]:
    """Lower-case words of ``text`` with whether each was written capitalised (a name, unless first)."""
    found = _WORD.findall(unicodedata.normalize("NFC", text))
    return [(w.lower(), k > 0 and w[:1].isupper()) for k, w in enumerate(found)]


def _verb_like(word: str, previous: str | None, language: str, endings: tuple[str, ...]) -> bool:
    if len(word) < 3 or word in NOT_VERBS.get(language, ()) or word.endswith(PARTICIPLE_ENDINGS) \
            or word.endswith(OTHER_PERSON_ENDINGS.get(language, ())):
        return False
    if previous is not None and previous in NOUN_MARKERS.get(language, ()):
        return False
    return word.endswith(endings)


def allowed_first_persons(text: str, language: str) -> frozenset[str] | None:
    """The first persons (``FIRST_SINGULAR``, ``FIRST_PLURAL``) that ``text`` in ``language`` can
    express; None for a language without rules here."""
    lang = language.split("-")[0].lower()
    if lang not in SINGULAR_WORDS:
        return None
    found: set[str] = set()
    words = _words(text)
    for k, (w, capitalised) in enumerate(words):
        previous = words[k - 1][0] if k else None
        if w in SINGULAR_WORDS[lang]:
            found.add(FIRST_SINGULAR)
        if w in PLURAL_WORDS[lang]:
            found.add(FIRST_PLURAL)
        if capitalised:
            continue
        if _verb_like(w, previous, lang, SINGULAR_ENDINGS.get(lang, ())):
            found.add(FIRST_SINGULAR)
        if _verb_like(w, previous, lang, PLURAL_ENDINGS.get(lang, ())):
            found.add(FIRST_PLURAL)
    return frozenset(found)


def english_first_persons(english: str) -> frozenset[str]:
    """The first persons an English text speaks in ("I", "my": singular; "we", "our": plural)."""
    words = {w for w, _ in _words(english.replace("\u2019", "'"))}
    out = set()
    if words & SINGULAR_WORDS["en"]:
        out.add(FIRST_SINGULAR)
    if words & PLURAL_WORDS["en"]:
        out.add(FIRST_PLURAL)
    return frozenset(out)


# -- grammatical number of nouns ----------------------------------------------------------------------
# Source words that mark a plural noun phrase: plural articles, determiners and possessives. A source
# word ending in "s" (es, pt, fr: the plural ending) or a number word of 2 or more also counts. German
# ("die" is also feminine singular), Romanian and Polish (no articles, plural on the noun alone) have
# no list, so they are not judged.
PLURAL_MARKERS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "es": "los las unos unas estos estas esos esas aquellos aquellas mis tus sus nuestros nuestras ambos varios "
          "muchos muchas algunos algunas todos todas",
    "pt": "os as uns umas estes estas esses essas aqueles aquelas meus minhas teus tuas seus suas nossos nossas "
          "dos das nos nas aos às pelos pelas ambos vários muitos muitas alguns algumas todos todas",
    "fr": "les des aux ces mes tes ses nos vos leurs plusieurs quelques tous toutes",
    "it": "i gli le dei degli delle ai agli alle nei negli nelle sui sugli sulle dai dagli dalle questi queste "
          "quei quegli quelle miei mie tuoi tue suoi sue nostri nostre vostri vostre loro alcuni alcune tutti "
          "tutte molti molte",
}.items()}
# English nouns that are plural without a final "s", and words that make the next noun plural.
ENGLISH_IRREGULAR_PLURALS = _split("men women children people police knives wives lives feet teeth mice")
ENGLISH_PLURAL_DETERMINERS = _split("these those two three four five six seven eight nine ten several many both")
_ENGLISH_DETERMINERS = _split("the these those my your his her our their some two three four five several many both")
_NOT_PLURAL = _split("this his is was has us yes its plus less business address glass news bus gas process")


def english_plural_noun(english: str) -> bool:
    """The English names a plural thing: "the men", "these phones", "two knives", "the keys"."""
    words = [w for w, _ in _words(english.replace("\u2019", "'"))]
    for k, w in enumerate(words):
        previous = words[k - 1] if k else ""
        if w in ENGLISH_IRREGULAR_PLURALS and w != "police" and previous in _ENGLISH_DETERMINERS:
            return True
        if previous in ENGLISH_PLURAL_DETERMINERS and w not in _NOT_PLURAL and len(w) > 2:
            return True
        if (previous in _ENGLISH_DETERMINERS and w.endswith("s") and not w.endswith(("ss", "'s"))
                and w not in _NOT_PLURAL and len(w) > 3):
            return True
    return False


def source_allows_plural(text: str, language: str, numbers: set[int]) -> bool | None:
    """Whether ``text`` can speak of more than one thing: a plural marker, a word ending in "s" (es,
    pt, fr), a number of 2 or more (``numbers``, read by the caller); None when not judged."""
    lang = language.split("-")[0].lower()
    markers = PLURAL_MARKERS.get(lang)
    if markers is None:
        return None
    words = [w for w, _ in _words(text)]
    if any(n >= 2 for n in numbers) or any(w in markers for w in words):
        return True
    return lang in ("es", "pt", "fr") and any(len(w) > 3 and w.endswith(("s", "x")) for w in words)


# -- third person ------------------------------------------------------------------------------------
# Source words that can refer to a third person: pronouns, clitics, possessives, reflexives (and
# impersonal "on" / "man", which English renders "they"). Articles that double as clitics are listed
# too (es "la", pt "o"), so the check only bites where a source has none of them at all.
THIRD_PERSON_WORDS: dict[str, frozenset[str]] = {k: _split(v) for k, v in {
    "fr": "il ils elle elles le la les l lui leur leurs se s son sa ses y en on eux",
    "de": "er sie es ihn ihm ihr ihnen sein seine seinen seinem seiner seines ihre ihren ihrem ihrer sich man",
    "nl": "hij zij ze het hem haar hun hen zich men",
    "es": "él ella ellos ellas lo la los las le les se su sus suyo suya",
    "pt": "ele ela eles elas o a os as lo la los las lhe lhes se seu sua seus suas dele dela deles delas no na",
    "it": "lui lei loro lo la li le gli ne si suo sua suoi sue egli ella esso essa essi esse",
    "ro": "el ea ei ele îl l o îi i le lui său sa săi sale se s",
    "pl": "on ona ono oni one go mu jej ich im nim niego nią jego swój swoja swoje się sobie siebie sobą",
}.items()}
# English third-person pronouns judged: the object ones ("her" also as a possessive) always; the
# subject ones only where the source language states its subjects (not pro-drop: "Se negó" is faithfully "He refused").
ENGLISH_THIRD_OBJECTS = _split("him her them")
ENGLISH_THIRD_SUBJECTS = _split("he she they")
STATES_SUBJECTS = frozenset(("fr", "de", "nl"))


def third_person_unsaid(source_text: str, language: str, english: str) -> bool | None:
    """True when the English refers to someone by a third-person pronoun ("him"; "he" where the
    language states its subjects) and the source has no word that can (a noun became a pronoun for
    nobody: "mit dem Opfer" → "to him"); None when not judged."""
    lang = language.split("-")[0].lower()
    cues = THIRD_PERSON_WORDS.get(lang)
    if cues is None:
        return None
    said = {w for w, _ in _words(english.replace("\u2019", "'"))}
    judged = ENGLISH_THIRD_OBJECTS | (ENGLISH_THIRD_SUBJECTS if lang in STATES_SUBJECTS else frozenset())
    if not said & judged:
        return False
    return not any(w in cues for w, _ in _words(source_text.replace("'", " ").replace("\u2019", " ")))
