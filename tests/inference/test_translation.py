"""TranslationEngine mechanics on the tiny random Marian package (real ONNX Runtime)."""

from __future__ import annotations

import numpy as np
import pytest

from shared.inference.decoding import DecodeConfig, greedy
from shared.inference.spm import marian_tokenizer
from shared.inference.translation import NLLB_CODES, TranslationEngine

SENTENCES = ["The man saw the car yesterday.", "A woman helped the shop at night.", "the house",
             "The officer found a man at the station on Sunday."]


@pytest.fixture(scope="module")
def engine(tiny_mt_package) -> TranslationEngine:
    return TranslationEngine(tiny_mt_package, intra_op_threads=1, batch_size=2)


def test_spm_tokenizer_matches_transformers(tiny_mt_hf_dir, tiny_mt_package):
    from transformers import MarianTokenizer

    ours = marian_tokenizer(tiny_mt_package / "source.spm", tiny_mt_package / "vocab.json")
    ref = MarianTokenizer.from_pretrained(tiny_mt_hf_dir)
    for s in [*SENTENCES, "Zażółć  unknown wörds 123"]:
        assert [*ours.encode(s, add_special_tokens=False).ids, 0] == ref(s).input_ids


def test_greedy_matches_pytorch(engine, tiny_mt_hf_dir):
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    model = MarianMTModel.from_pretrained(tiny_mt_hf_dir).eval()
    tok = MarianTokenizer.from_pretrained(tiny_mt_hf_dir)
    for s in SENTENCES[:2]:
        with torch.no_grad():
            out = model.generate(**tok([s], return_tensors="pt"), num_beams=1, do_sample=False, max_new_tokens=12,
                                 bad_words_ids=[[engine.pad]])
        want = [t for t in out[0].tolist()[1:] if t != engine.eos]
        row = engine._source_row(engine._ids(s), "en")
        ids = np.array([row])
        cfg = DecodeConfig(eot=engine.eos, timestamp_begin=None, suppress_tokens=(engine.pad,),
                           suppress_blank=False, max_new_tokens=12)
        mask = np.ones_like(ids)
        encoded = engine.encoder(ids, {"attention_mask": mask})
        hyps, _ = greedy(engine.decoder, np.array([[engine.decoder_start]]), encoded, cfg,
                         extra={"encoder_attention_mask": mask})
        assert hyps[0].tokens[: len(want)] == want[: len(hyps[0].tokens)] and len(want) >= 11


def test_batching_preserves_order_and_is_deterministic(engine):
    texts = ["", *SENTENCES, "   "]
    batched = engine.translate(texts, "en", "fr", beam_size=2, max_length=16)
    assert len(batched) == len(texts) and batched[0] == "" and batched[-1] == ""
    single = [engine.translate([t], "en", "fr", beam_size=2, max_length=16)[0] for t in texts]
    assert batched == single  # padding and sorting do not change any translation
    assert engine.translate(texts, "en", "fr", beam_size=2, max_length=16) == batched


def test_long_input_is_split_on_sentences(engine):
    text = " ".join(SENTENCES * 20)
    limit = 40
    chunks = engine.split(text, limit)
    assert len(chunks) > 1 and all(len(c) <= limit for c in chunks)
    assert [t for c in chunks for t in c] == [t for s in SENTENCES * 20 for t in engine._ids(s)]
    out = engine.translate([text], "en", "fr", beam_size=1, max_length=limit)
    assert len(out) == 1 and out[0]


def test_language_pair_checked(engine):
    assert engine.languages == ["en", "fr"]
    with pytest.raises(ValueError):
        engine.translate(["hello"], "de", "en")
    assert NLLB_CODES["fr"] == "fra_Latn" and NLLB_CODES["pl"] == "pol_Latn"
