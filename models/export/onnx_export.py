"""ONNX export of Whisper and translation checkpoints with optimum, plus fp16 / int8 post-processing."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WHISPER_TASK = "automatic-speech-recognition-with-past"
TRANSLATION_TASK = "text2text-generation-with-past"

ENCODER = "encoder_model.onnx"
DECODER = "decoder_model.onnx"
DECODER_WITH_PAST = "decoder_with_past_model.onnx"
DECODER_MERGED = "decoder_model_merged.onnx"


def cross_attention_output_names(num_layers: int) -> list[str]:
    return [f"cross_attentions.{i}" for i in range(num_layers)]


def _whisper_cross_attention_configs(model_config: Any) -> dict[str, Any]:
    """Optimum configs whose decoders also output per-layer cross-attention weights.

    Combined with `model_kwargs={"output_attentions": True}` (which makes optimum load the
    model with eager attention), the decoder returns `cross_attentions`, a tuple of
    [batch, heads, decoder_len, encoder_len] tensors; these extra outputs name them.
    """
    from optimum.exporters.onnx.base import ConfigBehavior
    from optimum.exporters.onnx.model_configs import WhisperOnnxConfig

    class WhisperCrossAttentionOnnxConfig(WhisperOnnxConfig):
        @property
        def outputs(self) -> dict[str, dict[int, str]]:
            outputs: dict[str, dict[int, str]] = super().outputs
            if self._behavior is ConfigBehavior.DECODER:
                dec_axis = "decoder_sequence_length" if not self.use_past_in_inputs or self.is_merged else "1"
                for name in cross_attention_output_names(self._normalized_config.decoder_num_layers):
                    outputs[name] = {0: "batch_size", 2: dec_axis, 3: "encoder_sequence_length_out"}
            return outputs

    base = WhisperCrossAttentionOnnxConfig(
        model_config, task="automatic-speech-recognition", use_past=True, use_past_in_inputs=False
    )
    return {
        "encoder_model": base.with_behavior("encoder"),
        "decoder_model": base.with_behavior("decoder", use_past=True, use_past_in_inputs=False),
        "decoder_with_past_model": base.with_behavior("decoder", use_past=True, use_past_in_inputs=True),
    }


def run_optimum_export(source_dir: Path, out: Path, kind: str, cross_attentions: bool = False) -> None:
    """Export a local transformers checkpoint to ONNX (encoder, split and merged decoders) in `out`.

    optimum's decoder merge picks shared initializer names by iterating a set of strings, so
    the merged file depends on Python's hash seed; the export runs in a child process with
    PYTHONHASHSEED=0 to make packages byte-for-byte reproducible.
    """
    if os.environ.get("PYTHONHASHSEED") == "0":
        _optimum_export(source_dir, out, kind, cross_attentions)
        return
    repo = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    args = json.dumps({"source_dir": str(source_dir), "out": str(out), "kind": kind,
                       "cross_attentions": cross_attentions})
    proc = subprocess.run([sys.executable, "-m", "models.export._worker", args], env=env, cwd=repo,
                          stdout=sys.stderr)  # progress is for people: stdout carries results only
    if proc.returncode != 0:
        raise RuntimeError(f"optimum export failed (exit {proc.returncode}); see the log above")


def _optimum_export(source_dir: Path, out: Path, kind: str, cross_attentions: bool) -> None:
    from optimum.exporters.onnx import main_export
    from transformers import AutoConfig

    task = WHISPER_TASK if kind == "whisper" else TRANSLATION_TASK
    kwargs: dict[str, Any] = {}
    if cross_attentions:
        kwargs["model_kwargs"] = {"output_attentions": True}
        kwargs["custom_onnx_configs"] = _whisper_cross_attention_configs(
            AutoConfig.from_pretrained(source_dir, local_files_only=True)
        )
    main_export(
        str(source_dir),
        output=out,
        task=task,
        device="cpu",
        local_files_only=True,
        do_validation=True,
        **kwargs,
    )


def to_fp16_split(out: Path) -> None:
    """Convert encoder + split decoders to float16 (GPU route) and drop the merged decoder.

    `convert_float_to_float16` breaks the merged decoder's If-subgraphs ("Subgraph output
    (logits) is an outer scope value"), so fp16 packages use decoder_model + decoder_with_past.
    Inputs and outputs stay float32 (keep_io_types) so callers feed the same tensors.
    """
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    for name in (ENCODER, DECODER, DECODER_WITH_PAST):
        path = out / name
        model = onnx.load(str(path))
        fp16 = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=False)
        _save_onnx(fp16, path)
    (out / DECODER_MERGED).unlink(missing_ok=True)


INT8_DECODER_OP_TYPES = ("MatMul",)
UNTIE_OUTPUT_PROJECTION = "untie-output-projection"


def to_int8(out: Path, weight_type: str = "QInt8", fast_decoder: bool = False, reduce_range: bool = False,
            encoder_per_channel: bool = False, quantize_encoder: bool = True) -> list[str]:
    """Dynamic int8 quantization (CPU route) of the encoder and the merged decoder.

    `EnableSubgraph` quantizes the MatMuls inside the merged decoder's If-branches too;
    without it those stay float32. The split decoders are removed.

    `fast_decoder` (Whisper): the logits projection gets its own pre-transposed weight
    (`untie_output_projection`) and only MatMuls are quantized, per channel. Otherwise the
    tied embedding is quantized as a Gather table and the projection runs as DequantizeLinear
    of the whole [d_model, vocab] table + a float32 MatMul on every decoder step (docs/models.md).
    `reduce_range` stores 7-bit weights: without VNNI (plain AVX2) ONNX Runtime's uint8 x int8 kernel
    adds pairs of products in int16 with saturation (255 x 127 x 2 overflows), 7-bit weights cannot
    overflow; VNNI machines run the same kernel at the same speed. `encoder_per_channel` gives the
    encoder's weights per-channel scales (the decoder's are per channel with `fast_decoder`).
    `quantize_encoder` False leaves the encoder in float32 (Whisper: dynamic quantization gives each
    MatMul's activations one scale per tensor, and the int8 encoder lost words on AAC audio that the
    float32 one reads; docs/benchmarks.md "MP4 copies: the cause"). Returns the graph optimisations applied.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    qtype = QuantType.QInt8 if weight_type == "QInt8" else QuantType.QUInt8
    applied: list[str] = []
    for name in (ENCODER, DECODER_MERGED) if quantize_encoder else (DECODER_MERGED,):
        src = out / name
        tmp = out / f"{name}.q.tmp"
        decoder = fast_decoder and name == DECODER_MERGED
        if decoder and untie_output_projection(src):
            applied.append(UNTIE_OUTPUT_PROJECTION)
        quantize_dynamic(
            src,
            tmp,
            weight_type=qtype,
            per_channel=decoder or (name == ENCODER and encoder_per_channel),
            reduce_range=reduce_range,
            op_types_to_quantize=list(INT8_DECODER_OP_TYPES) if decoder else None,
            extra_options={"EnableSubgraph": True},
        )
        src.unlink()
        _drop_external_data(out, src.name)
        tmp.rename(src)
    for name in (DECODER, DECODER_WITH_PAST):
        (out / name).unlink(missing_ok=True)
        _drop_external_data(out, name)
    return applied


def untie_output_projection(path: Path) -> int:
    """Replace each Transpose of a 2-D top-level initializer (the tied embedding feeding the logits
    MatMul) by a pre-transposed initializer, so quantization sees a constant MatMul weight.

    Numerically a no-op (ONNX Runtime folds the Transpose anyway). Returns the nodes replaced.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: i for i in model.graph.initializer}
    made: dict[str, str] = {}

    def walk(graph: onnx.GraphProto) -> int:
        done = 0
        for node in list(graph.node):
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    done += walk(attr.g)
            if node.op_type != "Transpose" or node.input[0] not in inits or len(inits[node.input[0]].dims) != 2:
                continue
            perm = [list(a.ints) for a in node.attribute if a.name == "perm"]
            if perm and perm[0] != [1, 0]:
                continue
            src = node.input[0]
            if src not in made:
                made[src] = f"{src}_transposed_untied"
                weight = numpy_helper.to_array(inits[src]).T.copy()
                model.graph.initializer.append(numpy_helper.from_array(weight, made[src]))
            for other in graph.node:
                for k, name in enumerate(other.input):
                    if name == node.output[0]:
                        other.input[k] = made[src]
            graph.node.remove(node)
            done += 1
        return done

    n = walk(model.graph)
    if n:
        _save_onnx(model, path)
    return n


def drop_split_decoders(out: Path) -> None:
    for name in (DECODER, DECODER_WITH_PAST):
        (out / name).unlink(missing_ok=True)
        _drop_external_data(out, name)


def _drop_external_data(out: Path, onnx_name: str) -> None:
    for data in (out / f"{onnx_name}_data", out / f"{onnx_name}.data"):
        if data.exists():
            data.unlink()


def _save_onnx(model: Any, path: Path) -> None:
    import onnx

    _drop_external_data(path.parent, path.name)
    if model.ByteSize() > 1_900_000_000:
        onnx.save_model(model, str(path), save_as_external_data=True, location=f"{path.name}_data")
    else:
        onnx.save_model(model, str(path))


def copy_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def worker_main(argv: list[str]) -> None:
    """Entry point of the child export process (models/export/_worker.py)."""
    a = json.loads(argv[0])
    _optimum_export(Path(a["source_dir"]), Path(a["out"]), a["kind"], bool(a["cross_attentions"]))
