"""Legacy code-page detection on one-sentence texts: charset-normalizer's best guess against
shared.documents.textcodec (which ranks charset-normalizer's candidates).

    python -m bench.codepages
"""

from __future__ import annotations

from charset_normalizer import from_bytes

from shared.documents.textcodec import decode_text

SAMPLES = [
    ("cp1252", "O agente viu o carro azul ontem à noite. Não sei."),
    ("cp1252", "Não, ele não está aqui. Saiu às três."),
    ("cp1252", "L'agent a vu la voiture bleue hier soir à côté de la gare."),
    ("cp1252", "¿Dónde está el coche? El policía lo vio ayer, señor."),
    ("cp1252", "Der Polizist sah gestern Abend das blaue Auto. Straße, Größe."),
    ("cp1250", "Policjant widział niebieski samochód wczoraj wieczorem. Żółć."),
    ("cp1250", "Policista včera večer viděl modré auto. Žluťoučký kůň."),
    ("cp1250", "Poliţistul a văzut maşina albastră aseară."),
    ("iso-8859-2", "Policjant widział niebieski samochód wczoraj wieczorem, łódź. Ściana, ąę."),
    ("iso-8859-2", "A rendőr tegnap este látta a kék autót. Őrült, űr."),
    ("cp1251", "Полицейский видел синюю машину вчера вечером."),
    ("koi8-r", "Полицейский видел синюю машину вчера вечером."),
    ("cp1253", "Ο αστυνομικός είδε το μπλε αυτοκίνητο χθες."),
    ("cp1254", "Polis memuru dün gece mavi arabayı gördü. Şişli, ğüı."),
    ("cp1257", "Policininkas vakar vakare matė mėlyną automobilį."),
    ("cp1252", "Olá, até já"),
]


def main() -> None:
    ours = theirs = 0
    for enc, text in SAMPLES:
        data = text.encode(enc)
        best = from_bytes(data).best()
        cn_ok = best is not None and str(best) == text
        mine = decode_text(data)
        ok = mine.text == text
        ours += ok
        theirs += cn_ok
        print(f"{enc:11s} charset-normalizer {best.encoding if best else None!s:12s} {'ok' if cn_ok else 'WRONG':5s}"
              f"  textcodec {mine.encoding:11s} {'ok' if ok else 'WRONG'}")
    print(f"text decoded exactly: charset-normalizer {theirs}/{len(SAMPLES)}, textcodec {ours}/{len(SAMPLES)}")


if __name__ == "__main__":
    main()
