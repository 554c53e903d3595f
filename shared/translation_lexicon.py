"""Corroboration of an English translation's content nouns by the source-language transcript
(``shared.translation_verify.cross_check``): Whisper's confident noun errors ("this hotel" for
*coltello*, "the doctor" for *conductor*) pass every grammar check and both decodes agree on them,
but the source transcript has no word that could mean them.

``LEXICON`` lists nouns of police statements (people, places, things, times of day, weekdays) with,
per source language, the beginnings of the words that say them (written by hand for this project,
accents folded, so "policía" and "policia" are one). An English word of the lexicon is
*corroborated* when a word of the source transcript begins with one of its stems in that language,
or with the English word's own first five letters (a cognate or a word left untranslated: "hotel",
"garage", "victim"). A passage with a lexicon word that is not corroborated is withheld.

English words outside the lexicon, and languages without a column, are not judged (the check can
only withhold, never vouch). Known costs (docs/benchmarks.md): a faithful translation made from
audio the transcript misheard ("witnesses" where the transcript says "destinos") is withheld, and
so is a synonym the lexicon lacks. Deterministic; stems lower case.
"""

from __future__ import annotations

import re
import unicodedata

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


# Verbs of statements and a few prepositions, used only to *vouch* for a passage
# (``translation_verify.source_vouches``), never to withhold one: English forms (all written out) |
# fr | de | es | pt | it | pl | ro. A stem of one or two letters matches a whole word only ("vi",
# "ha"), longer ones the start of a word.
_VERB_TABLE = """
say says said saying tell tells told | dir dis dit | sag erzähl erzahl | dec dic dij dig | diz diss dit dir |
    dir dic diss dett | mów mow powiedz rzek | spun spus zic zis
speak speaks spoke spoken talk talks talked | parl | sprech sprach gesproch rede red | habl | fal | parl |
    mówi mowi rozmaw | vorb
see sees saw seen | voi vu vis voy | seh sah geseh | ver vi vimos vist ve | ver vi vimos vist ve | ved vist vid |
    widzi widzia widz zobacz | văz vaz vede ved
find finds found | trouv | find fand gefund | encontr hall | encontr ach | trov | znalez znajd znalaz | găs gas
go goes went gone | all va vont ir | geh ging gegang fahr | ir va fue fui | ir vai vou foi fui | and va vad |
    iść isc idzi poszed posz szed | merg mers duc
come comes came arrive arrives arrived get gets got return returned | ven vien arriv rentr |
    komm kam gekomm ankomm zurück zuruck | ven vin lleg volv | vir vem vei veio cheg volt | ven arriv torn |
    przyjecha przysz przyjś przyjs przyb wróci wroci | ven veni ajun întoar intoar
leave leaves left | part quitt sort laiss | verlass verließ verlies geh gegang lass | sal dej | sai saí deix part |
    usc lasc part | wyszed wyjecha wyjś wyjs zostaw opuści opusci | plec lăs las ieș ies
call calls called | appel | ruf rief anruf angeruf | llam | lig cham | chiam | dzwon zadzwon wezwa | sun chem
take takes took taken bring brought | pris prend emmen condui amen | nahm nehm genomm bracht bring gebracht |
    tom llev | lev tom | pres prend port | wzią wzia wzię wzie zabra przywie | lua luat dus adus
know knows knew known recognise recognised recognize recognized | sai sais sait conn reconn |
    weiß weiss wiss kenn kann erkenn | sab conoc reconoc sé | sab sei conhe reconhe | sa sapp conosc ricono |
    wiem wie zna rozpozna | știu stiu cunosc recunos recunoa
want wants wanted | veu voul | will woll | quier quis | quer quis | vogli vuol volev | chc chci | vre vru
answer answered reply replied respond responded | répond repond | antwort beantwort | contest respond | respond |
    rispond | odpowi | răspun raspun
refuse refuses refused | refus | verweiger weiger | neg rechaz | recus | rifiut | odmów odmow | refuz
work works worked | travaill | arbeit | trabaj | trabalh | lavor | prac | lucr munc
live lives lived | habit vi | wohn leb | viv | mor viv | abit viv | mieszk | locu trăi trai
lose loses lost | perd | verlor verlier | perd | perd | pers perd | zgubi straci | pierd
steal steals stole stolen rob robbed | vol | stahl stehl gestohl | rob | roub | rub | ukrad krad | fur
hear hears heard | entend | hör hor gehör gehor | oí oi oy | ouv | sent | słysz slysz usłysz uslysz | auz
run runs ran | cour couru | lauf lief gelauf renn rann | corr | corr | cors corr | biegł biegl biec pobieg |
    fug alerg
break breaks broke broken smash smashed | cass bris | einschlag eingeschlag zerbroch kaputt brach | romp rot |
    part quebr | rott romp | wybi zbi rozbi | spart sparg
arrest arrested detain detained | arrêt arret interpel | festgenomm festnehm verhaft | detuv deten arrest |
    prend pres deti | arrest ferm | zatrzyma aresztow | arest reținut retinut
sleep sleeps slept asleep | dorm | schlaf schlief | dorm | dorm | dorm | spa śpi spi | dorm
afraid scared frightened fear fears | peur | angst fürcht furcht | miedo tem | medo tem | paura | boi bać bac |
    tem frică frica
have has had | av a ai | hab hat hatt | ten tuv | tinh ten tem | av ha ho | mia mam ma | av are
put puts | mis mett pos | leg steck stell | pus pon | pus pôs pon colo | mess mett | położ poloz włoż wloz | pus pun
give gives gave given | donn | gab geb gegeb | di dio dar | de deu dar | dat dett dar | dał dal da | dat da
without | sans | ohne | sin | sem | senza | bez | fără fara
near close beside next | près pres proche côté cote | nähe nahe neben bei | cerca junto | perto junto |
    vicin accanto presso | przy blisko obok koło kolo | lângă langa aproape
under below beneath underneath | sous dessous | unter | debajo bajo | debaixo sob baixo | sotto | pod | sub
inside | dans dedans | in im drin innen | dentro en | dentro em no na | dentro nel nella | w we wewnątrz wewnatrz |
    în in
towards toward | vers | richtung zum zur nach | hacia | direção direcao para | verso | stron ku | spre
during | pendant durant | während wahrend | durante | durante | durante | podczas | timpul
front | devant | vor | delante frente | frente | davanti | przed | fața fata
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


def _parse(table: str, plurals: bool = True) -> dict[str, list[dict[str, tuple[str, ...]]]]:
    """English form → the concepts it names, each a language → stems mapping."""
    out: dict[str, list[dict[str, tuple[str, ...]]]] = {}
    for line in table.strip().replace("|\n    ", "| ").splitlines():
        english, *columns = (part.split() for part in line.split("|"))
        if len(columns) != len(LANGUAGES):
            raise ValueError(f"lexicon line needs {len(LANGUAGES)} language columns: {line!r}")
        concept = {lang: tuple(fold(s) for s in stems) for lang, stems in zip(LANGUAGES, columns, strict=True)}
        for word in english:
            for form in _plurals(word) if plurals else {word}:
                out.setdefault(form, []).append(concept)
    return out


LEXICON = _parse(_TABLE)
VERBS = _parse(_VERB_TABLE, plurals=False)
COGNATE_LETTERS = 5
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")


def _source_words(source_text: str) -> list[str]:
    source = [fold(w) for w in _WORD.findall(unicodedata.normalize("NFC", source_text.replace("'", " ")))]
    return source + [part for w in source if "-" in w for part in w.split("-")]


def _says(stem: str, word: str) -> bool:
    return word == stem if len(stem) <= 2 else word.startswith(stem)


def _corroborated(word: str, concepts: list[dict[str, tuple[str, ...]]], lang: str, source: list[str]) -> bool:
    """A source word begins with the English word's first letters (a cognate) or one of its stems."""
    cognate = word[:COGNATE_LETTERS]
    if len(cognate) >= 3 and any(s.startswith(cognate) for s in source):
        return True
    return any(_says(stem, s) for concept in concepts for stem in concept[lang] for s in source)


def english_words(english: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(english.replace("\u2019", "'"))]


def uncorroborated(source_text: str, language: str, english: str) -> list[str] | None:
    """The English lexicon nouns no word of ``source_text`` can say (in order, once each); None for a
    language without a column here."""
    lang = language.split("-")[0].lower()
    if lang not in LANGUAGES:
        return None
    source = _source_words(source_text)
    out: list[str] = []
    for word in english_words(english):
        concepts = LEXICON.get(word)
        if concepts and word not in out and not _corroborated(word, concepts, lang, source):
            out.append(word)
    return out


def vouched(source_text: str, language: str, english: str) -> set[str]:
    """The English words the source transcript vouches for: lexicon nouns and verbs it can say, and
    words of three letters or more whose first ``COGNATE_LETTERS`` letters begin a source word."""
    lang = language.split("-")[0].lower()
    if lang not in LANGUAGES:
        return set()
    source = _source_words(source_text)
    return {w for w in english_words(english)
            if _corroborated(w, LEXICON.get(w, []) + VERBS.get(w, []), lang, source)}
