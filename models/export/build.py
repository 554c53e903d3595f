"""Turn a checkpoint into a verified, self-describing ONNX package (see docs/models.md)."""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.inference.package import open_package

from . import onnx_export as ox
from .manifest import ParityError, exporter_versions, install_package, write_manifest
from .parity import Parity, load_audio, synthetic_audio, translation_parity, whisper_parity
from .source import ResolvedSource, resolve_source, source_digest

PRECISIONS = ("fp32", "fp16", "int8")
KINDS = ("whisper", "translation")
INT8_WEIGHT_TYPE = "QInt8"  # see docs/models.md: kept parity better than QUInt8 on Whisper base
# Whisper int8 weights in 7 bits, the encoder's per channel too: ONNX Runtime's uint8 x int8 kernel saturates
# in int16 on CPUs without VNNI; 7-bit weights cannot (docs/benchmarks.md "int8 on CPUs without VNNI").
WHISPER_INT8_REDUCE_RANGE = True
WHISPER_INT8_ENCODER_PER_CHANNEL = True
# The Whisper encoder stays float32 in the int8 package: quantized (one activation scale per tensor), it lost
# words on AAC phone/body-worn audio that float32 reads (docs/benchmarks.md "MP4 copies: the cause").
WHISPER_INT8_QUANTIZE_ENCODER = False


@dataclass(frozen=True)
class ExportOptions:
    precision: str = "fp32"
    source_kind: str | None = None
    name: str | None = None
    revision: str | None = None
    parity_audio: Path | None = None
    parity_seconds: float = 11.0
    languages: tuple[str, ...] | None = None
    target_language: str = "fr"
    cross_attentions: bool = True
    force: bool = False
    parity_sentences: Path | None = None  # bergamot: one sentence per line (default: the bundled set)


def progress(msg: str) -> None:
    print(f"[models.export] {msg}", file=sys.stderr, flush=True)


def _architecture(kind: str, hf_dir: Path, source_id: str) -> str:
    config = json.loads((hf_dir / "config.json").read_text(encoding="utf-8"))
    model_type = config.get("model_type", "")
    if kind == "whisper":
        if model_type != "whisper":
            raise ValueError(f"{source_id}: model_type {model_type!r} is not whisper")
        return "whisper"
    if model_type == "marian":
        return "marian"
    if model_type == "m2m_100":
        tok_cfg = hf_dir / "tokenizer_config.json"
        tok_cfg_data = json.loads(tok_cfg.read_text(encoding="utf-8")) if tok_cfg.exists() else {}
        tok_class = str(tok_cfg_data.get("tokenizer_class", ""))
        return "nllb" if "nllb" in tok_class.lower() or "nllb" in source_id.lower() else "m2m100"
    raise ValueError(f"{source_id}: unsupported translation model_type {model_type!r}")


def _whisper_meta(hf_dir: Path) -> dict[str, Any]:
    gen = json.loads((hf_dir / "generation_config.json").read_text(encoding="utf-8"))
    config = json.loads((hf_dir / "config.json").read_text(encoding="utf-8"))
    multilingual = bool(gen.get("is_multilingual", bool(gen.get("lang_to_id"))))
    by_id = sorted(gen.get("lang_to_id", {}).items(), key=lambda kv: kv[1])
    langs = [token[2:-2] for token, _ in by_id] if multilingual else ["en"]
    heads = gen.get("alignment_heads")
    if not heads:  # CTranslate2's convention: all heads of the second half of the decoder
        n, h = config["decoder_layers"], config["decoder_attention_heads"]
        heads = [[layer, head] for layer in range(n // 2, n) for head in range(h)]
    return {"multilingual": multilingual, "languages": langs, "alignment_heads": [list(x) for x in heads],
            "decoder_layers": config["decoder_layers"]}


def _translation_languages(arch: str, hf_dir: Path, source_id: str) -> list[str]:
    from transformers import AutoTokenizer

    if arch == "marian":
        parts = source_id.rsplit("opus-mt-", 1)
        return parts[1].split("-") if len(parts) == 2 else []
    tok = AutoTokenizer.from_pretrained(hf_dir, local_files_only=True)
    codes = getattr(tok, "lang_code_to_id", None) or {}
    if not codes:
        codes = {t: 0 for t in tok.additional_special_tokens if "_" in t}
    return sorted(codes)


def _parity(kind: str, arch: str, src: ResolvedSource, pkg: Path, opts: ExportOptions) -> Parity:
    providers = None
    if opts.precision == "fp16":
        import onnxruntime as ort

        if "CUDAExecutionProvider" in ort.get_available_providers():
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if kind == "translation":
        return translation_parity(src.hf_dir, pkg, arch, target_language=opts.target_language,
                                  providers=providers)
    if opts.parity_audio is not None and Path(opts.parity_audio).is_file():
        audio = load_audio(Path(opts.parity_audio), opts.parity_seconds)
        label = f"audio:{Path(opts.parity_audio).name}[0:{opts.parity_seconds:g}s]"
    else:
        audio = synthetic_audio(opts.parity_seconds)
        label = f"synthetic:{opts.parity_seconds:g}s"
    return whisper_parity(src.hf_dir, pkg, audio, label, providers=providers)


def export_package(kind: str, source: str, out: Path, opts: ExportOptions | None = None) -> Path:
    """Export `source` to a package at `out`; returns `out`. Fails on fp32 parity mismatch."""
    opts = opts or ExportOptions()
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if opts.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not opts.force:
        raise FileExistsError(f"{out} exists; pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "translation" and _is_bergamot(source, opts.source_kind):
        return _export_bergamot(Path(source).expanduser().resolve(), out, opts)

    with resolve_source(source, opts.source_kind, opts.revision) as src, \
            tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        progress(f"source {src.kind}:{src.id} → {src.hf_dir}")
        arch = _architecture(kind, src.hf_dir, src.id)
        pkg = Path(tmp) / "pkg"
        xattn = kind == "whisper" and opts.cross_attentions
        graph_opts: list[str] = []
        progress(f"exporting {arch} with optimum (cross_attentions={xattn})")
        ox.run_optimum_export(src.hf_dir, pkg, kind, cross_attentions=xattn)
        if opts.precision == "fp16":
            progress("converting encoder + split decoders to float16")
            ox.to_fp16_split(pkg)
            layout = "split"
        elif opts.precision == "int8":
            progress(f"int8 dynamic quantization ({INT8_WEIGHT_TYPE}, EnableSubgraph)")
            graph_opts = ox.to_int8(pkg, INT8_WEIGHT_TYPE, fast_decoder=kind == "whisper",
                                    reduce_range=bool(int8_quantization(kind)["reduce_range"]),
                                    encoder_per_channel=bool(int8_quantization(kind)["per_channel"]),
                                    quantize_encoder=int8_quantization(kind)["encoder"] != "float32")
            layout = "merged"
        else:
            ox.drop_split_decoders(pkg)
            layout = "merged"

        progress("parity check against PyTorch fp32")
        parity = _parity(kind, arch, src, pkg, opts)
        progress(f"parity: tokens_equal={parity.tokens_equal} agreement={parity.agreement} n={parity.n_tokens}")
        if opts.precision == "fp32" and not parity.tokens_equal:
            raise ParityError(f"fp32 ONNX tokens differ from PyTorch ({parity})")

        fields: dict[str, Any] = {
            "name": opts.name or f"{src.id.rsplit('/', 1)[-1]}-{opts.precision}",
            "task": "automatic-speech-recognition" if kind == "whisper" else "translation",
            "architecture": arch,
            "precision": opts.precision,
            "decoder_layout": layout,
            "source": {"kind": src.kind, "id": src.id, "sha256": source_digest(src.origin_dir)},
            "exporter": exporter_versions(),
            "parity": parity.to_json(),
            "graph_optimizations": graph_opts,
        }
        if src.revision:
            fields["source"]["revision"] = src.revision
        if kind == "whisper":
            meta = _whisper_meta(src.hf_dir)
            fields.update(multilingual=meta["multilingual"], languages=meta["languages"],
                          alignment_heads=meta["alignment_heads"], cross_attentions=xattn)
            if xattn:
                fields["cross_attention_outputs"] = ox.cross_attention_output_names(meta["decoder_layers"])
        else:
            langs = list(opts.languages) if opts.languages else _translation_languages(arch, src.hf_dir, src.id)
            fields.update(multilingual=arch != "marian", languages=langs, alignment_heads=[],
                          cross_attentions=False)
        if opts.precision == "int8":
            fields["quantization"] = int8_quantization(kind)
        write_manifest(pkg, fields)
        install_package(pkg, out, open_package)
    progress(f"package written to {out}")
    return out


def int8_quantization(kind: str) -> dict[str, Any]:
    """The int8 scheme this exporter applies to a `kind` ("whisper" / "translation") ONNX export, as
    recorded in the manifest's ``quantization`` (a package recording another scheme is stale)."""
    fast = kind == "whisper"
    return {
        "method": "onnxruntime.quantize_dynamic", "weight_type": INT8_WEIGHT_TYPE, "EnableSubgraph": True,
        "target": "cpu", "per_channel": fast and WHISPER_INT8_ENCODER_PER_CHANNEL,
        "reduce_range": fast and WHISPER_INT8_REDUCE_RANGE,
        "decoder": {"op_types": list(ox.INT8_DECODER_OP_TYPES) if fast else "default", "per_channel": fast},
        "encoder": "float32" if fast and not WHISPER_INT8_QUANTIZE_ENCODER else "default",
    }


def _is_bergamot(source: str, source_kind: str | None) -> bool:
    from .bergamot import is_bergamot_dir

    return source_kind == "bergamot" or (source_kind is None and is_bergamot_dir(Path(source).expanduser()))


def _export_bergamot(source: Path, out: Path, opts: ExportOptions) -> Path:
    """A Firefox Translations (Marian binary) directory → package (see models/export/bergamot.py)."""
    from .bergamot import export_bergamot

    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        pkg = Path(tmp) / "pkg"
        pkg.mkdir()
        progress(f"source bergamot:{source.name}")
        fields = export_bergamot(source, pkg, opts, progress)
        progress(f"parity: {json.dumps(fields['parity'])}")
        write_manifest(pkg, fields)
        install_package(pkg, out, open_package)
    progress(f"package written to {out}")
    return out
