"""Corroboration of an English translation's content nouns by the source-language transcript
(``shared.translation_verify.cross_check``): Whisper's confident noun errors ("this hotel" for
*coltello*, "the doctor" for *conductor*) pass every grammar check and both decodes agree on them,
but the source transcript has no word that could mean them.

``LEXICON`` lists nouns of police statements (people, places, things, times of day, weekdays) with,
per source language, the beginnings of the words that say them (written by hand for this project,
accents folded, so "policía" and "policia" are one). An English word of the lexicon is
*corroborated* when a word of the source transcript begins with one of its stems in that language,
or with the English word's own first five letters (a cognate or a word left untranslated: "hotel",
"garage", "victim"; a shorter English word only as a whole word, "bar", "bus", so "car" is not
"cartera"). A passage with a lexicon word that is not corroborated is withheld.

English words outside the lexicon, and languages without a column, are not judged (the check can
only withhold, never vouch). Known costs (docs/benchmarks.md): a faithful translation made from
audio the transcript misheard ("witnesses" where the transcript says "destinos") is withheld, and
so is a synonym the lexicon lacks. A misheard source word that keeps a stem would corroborate it
("Geldwöse" says *geld*, money): where the transcript's words come with Whisper's probability of
each, a stem with ``WEAK_REMAINDER`` letters or more after it, in a word Whisper gave less than
``WEAK_WORD_PROBABILITY``, is weak support and corroborates nothing (``unsure_words``; the probability
alone does not separate right from misheard words, docs/benchmarks.md). Deterministic; stems lower case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

LANGUAGES = ("fr", "de", "es", "pt", "it", "pl", "ro")
# English forms | fr | de | es | pt | it | pl | ro   (stems; plural English forms are added by rule;
# an indented line continues the one before it)
_TABLE = """
night evening tonight overnight | nuit soir | nacht abend | noche | noite | nott sera | noc wieczor |
    noapt nopt sear asear
midnight | minuit | mitternacht | medianoche | meia-noite meia | mezzanott | północ polnoc | miezul
morning | matin | morgen | mañana madrugada | manhã madrugada | mattin | rano ranek rana | dimineaț dimineat
yesterday | hier | gestern | ayer | ontem | ieri | wczoraj | ieri asear
monday | lundi | montag | lunes | segunda | lunedì | poniedział poniedzial | luni
tuesday | mardi | dienstag | martes | terça terca | martedì | wtor | marți marti
wednesday | mercredi | mittwoch | miércoles | quarta | mercoledì | środ srod | miercuri
thursday | jeudi | donnerstag | jueves | quinta | giovedì | czwart | joi
friday | vendredi | freitag | viernes | sexta | venerdì | piąt piat | vineri
saturday | samedi | samstag sonnabend | sábado | sábado | sabato | sobot | sâmbăt sambat
sunday | dimanche | sonntag | domingo | domingo | domenica | niedziel | duminic
house home flat apartment | maison domicile chez appartement logement | haus hause heim wohnung |
    casa hogar domicilio piso | casa lar domicílio apartamento | casa abitazion appartament | dom domu mieszkan |
    casa acas locuinț locuint apartament
car vehicle | voiture auto véhicule | auto wagen fahrzeug | coche carro auto vehículo | carro automóvel viatura |
    macchin auto veicol vettur | samochod auto pojazd | mașin masin auto vehicul
police officer policeman policemen cop detective investigator inspector |
    polic agent gendarm flic commissariat enquêt inspect | polizei polizist beamt ermittl kommissar |
    polic agent guardia comisar investigad inspector | polic agent guarda esquadra delegac investigad inspetor |
    polizi agent carabin questur investigat inquirent ispettor |
    polic funkcjonariusz komisariat śledcz sledcz inspektor | poliț polit agent secți secti anchetat inspector
station | gare commissariat poste station | bahnhof wache revier station | estación comisaría |
    estação esquadra delegacia | stazion questur | stacj dworc dworzec komisariat posterunk posterunek |
    gar secți secti stați stati
knife blade | couteau lame | messer klinge | cuchill navaja | faca navalha | coltell lama | nóż noz noż |
    cuțit cutit
phone telephone mobile cellphone | téléphon portable | telefon handy | teléfon móvil movil celular |
    telefon telemóvel celular | telefon cellular | telefon komórk komork | telefon mobil
money cash | argent liquide | geld bargeld | dinero efectivo | dinheiro | sold denar contant |
    pieniądz pieniadz pieniędz gotówk gotowk | bani numerar
key | clé clef clefs | schlüssel schlussel | llave | chave | chiav | klucz | chei cheie
bag backpack rucksack handbag | sac | tasche rucksack | bolso mochila bolsa | mala mochila saco bolsa | borsa zain |
    torb plecak | geant rucsac poșet poset
pocket | poche | tasche | bolsillo | bolso | tasca tasche | kieszen kieszeń | buzunar
wallet purse | portefeuille porte-monnaie | geldbörse geldborse geldbeutel brieftasche portemonnaie |
    cartera billetera monedero | carteira | portafogl | portfel portmonetk | portofel
man men guy gentleman | homme monsieur type | mann männer manner herr kerl | hombre señor senor tipo |
    homem homens senhor tipo | uomo uomini signor tizio | mężczyzn mezczyzn mężczyzna pan facet | bărbat barbat domn
woman women lady | femme dame madame | frau dame | mujer señora senora | mulher senhora | donn signora | kobiet pani |
    femei femeie doamn
husband | mari époux epoux | mann ehemann gatte | marido esposo | marido esposo | marit | mąż maz męż mez | soț sot
wife | femme épouse epouse | frau ehefrau gattin | esposa mujer | esposa mulher | mogli | żon zon | soți soti nevast
brother | frère frere | bruder brüder | hermano | irmão irmao | fratell | brat | frat
sister | sœur soeur | schwester | hermana | irmã irma | sorell | siostr | sor
mother mum mom | mère mere maman | mutter mama | madre mamá mama | mãe mae mamã mama | madr mamma | matk mam |
    mam mamă
father dad | père pere papa | vater papa | padre papá papa | pai papai | padr papà papa | ojc ojciec tat | tat
child children kid baby | enfant gosse bébé bebe | kind baby | niñ nin hij bebé bebe criatur |
    crianç cri filh menin bebé bebe | bambin figli bimb | dzieci dzieck dziec | copi
boy lad youth | garçon garcon jeune gars | junge jung | chico muchacho joven | rapaz menino jovem moço |
    ragazz giovan | chłop chlop młod mlod | băiat baiat tânăr tanar tiner
girl | fille | mädchen madchen | chica muchacha niña nina | rapariga menina moça garota | ragazz | dziewczyn |
    fată fata
friend | ami copain copine pote | freund | amig | amig | amic | przyjaci kolega koleg kolezank koleżank |
    prieten amic
girlfriend boyfriend | copine copain amie ami | freundin freund | novi | namorad | ragazz fidanzat |
    dziewczyn chłopak chlopak | prieten iubit
neighbour neighbor | voisin | nachbar | vecin | vizinh | vicin | sąsiad sasiad | vecin
lawyer solicitor attorney counsel | avocat | anwalt anwält rechtsanwalt | abogad | advogad | avvocat |
    adwokat prawnik | avocat
doctor | médecin medecin docteur | arzt ärzt doktor | médic medic doctor | médic medic doutor | medic dottor |
    lekarz doktor | medic doctor
teacher | professeur enseignant maître maitre instit | lehrer | profesor maestr | professor |
    insegnant maestr professor | nauczyciel | profesor învățăt invatat
driver | conducteur chauffeur | fahrer | conductor chófer chofer | condutor motorista | autist conducent | kierowc |
    șofer sofer conducăt conducat
witness | témoin temoin | zeug | testig | testemunh | testimon | świadk swiadk świadek swiadek | martor
victim | victime | opfer | víctim victim | vítim vitim | vittim | ofiar | victim
suspect | suspect | verdächtig verdachtig tatverdächt | sospechos | suspeit | sospett | podejrzan | suspect
thief robber burglar | voleur cambrioleur | dieb einbrecher räuber rauber | ladrón ladron | ladrão ladrao | ladr |
    złodziej zlodziej | hoț hot
hotel | hôtel hotel | hotel | hotel | hotel | albergo hotel | hotel | hotel
hospital | hôpital hopital | krankenhaus klinik spital | hospital | hospital | ospedal | szpital | spital
bank | banque | bank | banco | banco | banca | bank | banc
bar pub cafe | bar café cafe bistro | bar kneipe lokal | bar café cafe | bar café cafe | bar caffè | bar pub kawiarn |
    bar cafenea
shop store | magasin boutique | geschäft geschaft laden | tienda | loja | negozi | sklep | magazin
street road | rue route | straße strasse weg | calle carretera | rua estrada | strad via | ulic drog | strad drum
kitchen | cuisine | küche kuche | cocina | cozinha | cucina | kuchni kuchn | bucătări bucatari
table | table | tisch | mesa | mesa | tavol | stół stol | mas
window | fenêtre fenetre vitre vitrine | fenster scheibe | ventana escaparate vitrina | janela montra vitrine |
    finestr vetrin | okn szyb witryn | fereastr geam vitrin
door | porte | tür tur | puerta | porta | porta | drzwi | uș us
garage | garage | garage | garaje | garagem | garage | garaż garaz | garaj
bus | bus autobus car | bus | autobús autobus bus | autocarro ônibus onibus | autobus | autobus | autobuz
park | parc | park | parque | parque | parc | park | parc
bicycle bike | vélo velo bicyclette | fahrrad rad | bicicleta bici | bicicleta | biciclett bici | rower | biciclet
school | école ecole | schule | escuela colegio | escola | scuola | szkoł szkol | școal scoal
seat | siège siege | sitz | asiento | assento banco | sedil | siedzen | scaun
gun weapon pistol | arme pistolet | waffe pistole | arma pistola | arma pistola | arma pistola | broń bron pistolet |
    armă arma pistol
family | famille | familie | familia | família familia | famigli | rodzin | famili
question | question | frage | pregunta | pergunta questão questao | domand | pytani | întreb intreb
statement | déclaration declaration déposition | aussage | declaración declaracion |
    declaração declaracao depoimento | dichiarazion deposizion | zeznani | declarați declarati
scream shout cry | cri hurl | schrei | grito | grito | urlo grid | krzyk | țipăt tipat strigăt strigat
room | salle chambre pièce piece | zimmer raum | habitación habitacion sala cuarto | quarto sala |
    stanza camera sala | pokój pokoj sal | camer sal
bed | lit | bett | cama | cama | lett | łóżk lozk | pat
drug | drogue stupéfiant | droge rauschgift | droga | droga | droga | narkotyk | drog
"""


def fold(word: str) -> str:
    """Lower case, accents off (NFD marks removed): "policía" = "policia", "Straße" stays "straße"."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def _plurals(word: str) -> set[str]:
    out = {word, word + "s"}
    if word.endswith(("s", "x", "ch", "sh")):
        out.add(word + "es")
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        out.add(word[:-1] + "ies")
    if word.endswith("fe"):
        out.add(word[:-2] + "ves")
    if word.endswith("man"):
        out.add(word[:-3] + "men")
    if word == "child":
        out.add("children")
    return out


def _parse(table: str) -> dict[str, list[dict[str, tuple[str, ...]]]]:
    """English form → the concepts it names, each a language → stems mapping."""
    out: dict[str, list[dict[str, tuple[str, ...]]]] = {}
    for line in table.strip().replace("|\n    ", "| ").splitlines():
        english, *columns = (part.split() for part in line.split("|"))
        if len(columns) != len(LANGUAGES):
            raise ValueError(f"lexicon line needs {len(LANGUAGES)} language columns: {line!r}")
        concept = {lang: tuple(fold(s) for s in stems) for lang, stems in zip(LANGUAGES, columns, strict=True)}
        for word in english:
            for form in _plurals(word):
                out.setdefault(form, []).append(concept)
    return out


LEXICON = _parse(_TABLE)
_IRREGULAR_PLURALS = frozenset(("men", "women", "children", "policemen", "gentlemen"))


def plural_forms() -> frozenset[str]:
    """The English forms of ``LEXICON`` that are plurals ("streets", "men", "knives"): the forms added by
    rule to the table's words, and the irregular plurals the table lists as words of their own."""
    written = {w for line in _TABLE.strip().replace("|\n    ", "| ").splitlines() for w in line.split("|")[0].split()}
    return frozenset((set(LEXICON) - written) | (written & _IRREGULAR_PLURALS))
COGNATE_LETTERS = 5
WEAK_WORD_PROBABILITY = 0.5  # a source word Whisper was less sure of than this is weak support ...
WEAK_REMAINDER = 3  # ... for a stem it holds with this many letters or more after it ("Geldwöse": geld + wöse)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")


def _source_words(source_text: str) -> list[str]:
    source = [fold(w) for w in _WORD.findall(unicodedata.normalize("NFC", source_text.replace("'", " ")))]
    return source + [part for w in source if "-" in w for part in w.split("-")]


def _says(stem: str, word: str) -> bool:
    return word == stem if len(stem) <= 2 else word.startswith(stem)


def _corroborated(word: str, concepts: list[dict[str, tuple[str, ...]]], lang: str, source: list[str],
                  unsure: frozenset[str] = frozenset()) -> bool:
    """A source word begins with the English word's first letters (a cognate) or one of its stems; a
    word in ``unsure`` (one Whisper heard with little confidence) counts only when the stem is all of it,
    or all of it but a short ending (``WEAK_REMAINDER``)."""
    def says(stem: str, s: str) -> bool:
        return _says(stem, s) and (s not in unsure or len(s) - len(stem) < WEAK_REMAINDER)

    if len(word) < COGNATE_LETTERS:  # a short word is a cognate only whole: "car" is not "cartera"
        if word in source:
            return True
    elif any(says(word[:COGNATE_LETTERS], s) for s in source):
        return True
    return any(says(stem, s) for concept in concepts for stem in concept[lang] for s in source)


def unsure_words(source_words: Sequence[tuple[str, float]] | None) -> frozenset[str]:
    """The source words (folded) Whisper gave a probability below ``WEAK_WORD_PROBABILITY``."""
    out: set[str] = set()
    for text, probability in source_words or ():
        if probability < WEAK_WORD_PROBABILITY:
            out.update(_source_words(text))
    return frozenset(out)


def english_words(english: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(english.replace("\u2019", "'"))]


def uncorroborated(source_text: str, language: str, english: str,
                   source_words: Sequence[tuple[str, float]] | None = None) -> list[str] | None:
    """The English lexicon nouns no word of ``source_text`` can say (in order, once each); None for a
    language without a column here. ``source_words``: the transcript's words with Whisper's
    probability of each, when known (``unsure_words``)."""
    lang = language.split("-")[0].lower()
    if lang not in LANGUAGES:
        return None
    source = _source_words(source_text)
    unsure = unsure_words(source_words)
    out: list[str] = []
    for word in english_words(english):
        concepts = LEXICON.get(word)
        if concepts and word not in out and not _corroborated(word, concepts, lang, source, unsure):
            out.append(word)
    return out
