"""Generated Portuguese case documents for the document benchmarks: paragraphs of sentences written
for them (statements, reports, messages), with dates, times, numbers and exhibit references; a
page is 12 paragraphs of 3 sentences and a 2×2 table (~2,200 characters, a typed A4 page)."""

from __future__ import annotations

import random
from pathlib import Path

SENTENCES = (
    "A testemunha disse que viu um homem alto perto da estação.",
    "Ele usava um casaco preto e tinha uma mochila vermelha.",
    "O carro estava estacionado na rua há vários dias.",
    "A vizinha ouviu gritos vindos do apartamento do segundo andar.",
    "O suspeito saiu de casa pouco depois da meia-noite.",
    "A polícia chegou ao local cerca de dez minutos depois da chamada.",
    "O telemóvel foi encontrado debaixo do banco do passageiro.",
    "Ela afirmou que nunca tinha visto aquele homem antes.",
    "A porta das traseiras estava aberta quando os agentes chegaram.",
    "O homem fugiu a pé em direção ao parque.",
    "A vítima foi levada para o hospital com ferimentos ligeiros.",
    "Os vizinhos disseram que o casal discutia com frequência.",
    "O dinheiro estava guardado numa caixa de sapatos no armário.",
    "Ele negou ter estado no local na noite do crime.",
    "A câmara de vigilância gravou a entrada de duas pessoas no prédio.",
    "O condutor não parou quando os agentes lhe fizeram sinal.",
    "A mulher reconheceu a voz do irmão na gravação.",
    "Foram apreendidos dois computadores e um disco externo.",
    "O rapaz contou que recebeu mensagens ameaçadoras durante semanas.",
    "A loja fechou mais cedo por causa do assalto.",
    "Ninguém atendeu o telefone quando ela ligou para casa.",
    "O relatório foi entregue ao inspetor na manhã seguinte.",
    "A janela da cozinha tinha sido partida por fora.",
    "Ele pediu um advogado antes de responder às perguntas.",
)
EXTRAS = ("no dia 12/03/2024", "às 23:42", "com a referência MG/12/003", "por 150 euros", "no prédio n.º 7")


def paragraph(rng: random.Random, sentences: int = 3) -> str:
    out = []
    for _ in range(sentences):
        s = rng.choice(SENTENCES)
        if rng.random() < 0.3:
            s = f"{s[:-1]} {rng.choice(EXTRAS)}."
        out.append(s)
    return " ".join(out)


def make_docx(path: Path, pages: int, seed: int = 0) -> Path:
    import docx

    rng = random.Random(seed)
    d = docx.Document()
    for page in range(pages):
        for _ in range(12):
            d.add_paragraph(paragraph(rng))
        table = d.add_table(rows=2, cols=2)
        for k, cell in enumerate(c for row in table.rows for c in row.cells):
            cell.text = paragraph(rng, 1) if k % 2 == 0 else f"MG/{page + 1}/{k:03d}"
        if page + 1 < pages:
            d.add_page_break()
    d.save(path)
    return path
