"""Export to ONNX packages: manifest contents, parity gate, precisions, source kinds."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from models.export import ExportOptions, ParityError, export_package
from models.export import build as build_mod
from models.export.onnx_export import DECODER_MERGED
from shared.inference.package import open_package
from tests.fixtures.models import make_tiny_m2m100_hf

REPO = Path(__file__).resolve().parents[2]


def _manifest(pkg: Path) -> dict:
    return json.loads((pkg / "model.json").read_text())


def test_tiny_whisper_package_from_hf_dir(tiny_whisper_package: Path) -> None:
    pkg = open_package(tiny_whisper_package)
    m = pkg.manifest
    assert (pkg.task, pkg.architecture, pkg.precision, pkg.decoder_layout) == (
        "automatic-speech-recognition", "whisper", "fp32", "merged")
    assert pkg.sha256 == hashlib.sha256((tiny_whisper_package / "model.json").read_bytes()).hexdigest()
    assert m["source"]["kind"] == "hf-dir" and len(m["source"]["sha256"]) == 64
    assert m["multilingual"] is True and m["languages"][:3] == ["en", "zh", "de"] and len(m["languages"]) == 99
    assert m["alignment_heads"] == [[1, 0], [1, 1]]
    assert set(m["exporter"]) == {"optimum", "optimum-onnx", "transformers", "torch", "onnx", "onnxruntime"}
    assert m["parity"]["reference"] == "pytorch-fp32" and m["parity"]["tokens_equal"] is True
    assert m["parity"]["input"].startswith("audio:sample.wav") and m["parity"]["n_tokens"] > 0
    listed = set(m["files"])
    assert {"encoder_model.onnx", DECODER_MERGED, "config.json", "generation_config.json", "tokenizer.json",
            "preprocessor_config.json"} <= listed
    assert "decoder_model.onnx" not in listed and "model.json" not in listed
    # The decoder names one cross-attention output per layer, as the manifest says.
    sess = ort.InferenceSession(str(pkg.file(DECODER_MERGED)), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in sess.get_outputs()]
    assert m["cross_attentions"] is True
    assert m["cross_attention_outputs"] == ["cross_attentions.0", "cross_attentions.1"]
    assert set(m["cross_attention_outputs"]) <= set(outputs)


def test_cross_attention_output_shape(tiny_whisper_package: Path) -> None:
    sess = ort.InferenceSession(str(tiny_whisper_package / DECODER_MERGED), providers=["CPUExecutionProvider"])
    enc = np.random.default_rng(0).standard_normal((1, 1500, 64)).astype(np.float32)
    feeds = {"input_ids": np.array([[50258, 50259, 50359]], dtype=np.int64), "encoder_hidden_states": enc,
             "use_cache_branch": np.array([False])}
    for i in sess.get_inputs():
        if i.name.startswith("past_key_values."):
            feeds[i.name] = np.zeros((1, i.shape[1], 0, i.shape[3]), dtype=np.float32)
    res = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds), strict=True))
    att = res["cross_attentions.1"]
    assert att.shape == (1, 2, 3, 1500)
    np.testing.assert_allclose(att.sum(-1), 1.0, rtol=1e-4)  # softmax rows over encoder frames


@pytest.mark.slow
def test_export_is_deterministic(tiny_whisper_hf_dir: Path, tiny_whisper_package: Path, tmp_path: Path) -> None:
    again = export_package("whisper", str(tiny_whisper_hf_dir), tmp_path / "again",
                           ExportOptions(parity_audio=tiny_whisper_package.parent / "missing.wav"))
    first, second = _manifest(tiny_whisper_package), _manifest(again)
    assert first["files"] == second["files"]
    assert first["source"] == second["source"]
    # A different parity input is recorded as such (synthetic fallback when the audio is absent).
    assert second["parity"]["input"].startswith("synthetic:")


def _float_matmul_weights_in_subgraphs(model: onnx.ModelProto) -> list[str]:
    """Names of MatMul nodes inside If-branches whose weight is a float32 initializer."""
    floats = {i.name for i in model.graph.initializer if i.data_type == onnx.TensorProto.FLOAT}
    found = []

    def walk(graph: onnx.GraphProto, depth: int) -> None:
        local = floats | {i.name for i in graph.initializer if i.data_type == onnx.TensorProto.FLOAT}
        for node in graph.node:
            if depth > 0 and node.op_type == "MatMul" and any(x in local for x in node.input):
                found.append(node.name)
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g, depth + 1)

    walk(model.graph, 0)
    return found


def _count_ops(model: onnx.ModelProto, ops: set[str]) -> int:
    n = 0

    def walk(graph: onnx.GraphProto) -> None:
        nonlocal n
        for node in graph.node:
            n += node.op_type in ops
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)

    walk(model.graph)
    return n


def _no_weight_dequantize(model: onnx.ModelProto) -> bool:
    inits = {i.name for i in model.graph.initializer}
    found: list[str] = []

    def walk(graph: onnx.GraphProto) -> None:
        for node in graph.node:
            if node.op_type in ("DequantizeLinear", "Transpose") and node.input[0] in inits:
                found.append(node.name)
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)

    walk(model.graph)
    return not found


def _int8_weight_extremes(model: onnx.ModelProto) -> tuple[int, int]:
    """Lowest and highest value over every int8 initializer (top level and If-branches)."""
    lo, hi = 0, 0

    def walk(graph: onnx.GraphProto) -> None:
        nonlocal lo, hi
        for init in graph.initializer:
            if init.data_type == onnx.TensorProto.INT8:
                w = numpy_helper.to_array(init)
                lo, hi = min(lo, int(w.min())), max(hi, int(w.max()))
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)

    walk(model.graph)
    return lo, hi


def _first_pass(path: Path) -> dict[str, np.ndarray]:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    enc = np.random.default_rng(0).standard_normal((2, 1500, 64)).astype(np.float32)
    feeds = {"input_ids": np.array([[50258, 50259, 50359], [50258, 50259, 50360]], dtype=np.int64),
             "encoder_hidden_states": enc, "use_cache_branch": np.array([False])}
    for i in sess.get_inputs():
        if i.name.startswith("past_key_values."):
            feeds[i.name] = np.zeros((2, i.shape[1], 0, i.shape[3]), dtype=np.float32)
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds), strict=True))


def test_untie_output_projection_is_exact(tiny_whisper_package: Path, tmp_path: Path) -> None:
    from models.export.onnx_export import untie_output_projection

    path = tmp_path / DECODER_MERGED
    shutil.copy(tiny_whisper_package / DECODER_MERGED, path)
    assert untie_output_projection(path) == 2  # the logits projection in both If-branches
    model = onnx.load(str(path))
    assert _no_weight_dequantize(model) and not _no_weight_dequantize(
        onnx.load(str(tiny_whisper_package / DECODER_MERGED)))
    before, after = _first_pass(tiny_whisper_package / DECODER_MERGED), _first_pass(path)
    assert before.keys() == after.keys()
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)
    assert untie_output_projection(path) == 0  # idempotent


def test_int8_quantizes_if_branches(tiny_whisper_int8_package: Path, tiny_whisper_package: Path,
                                    tmp_path: Path) -> None:
    pkg = open_package(tiny_whisper_int8_package)
    assert pkg.precision == "int8" and pkg.decoder_layout == "merged"
    assert pkg.manifest["quantization"]["EnableSubgraph"] is True
    merged = onnx.load(str(pkg.file(DECODER_MERGED)))
    assert _float_matmul_weights_in_subgraphs(merged) == []
    assert _count_ops(merged, {"MatMulInteger", "DynamicQuantizeMatMul"}) > 0
    # Fast decoder: the logits projection is a quantized MatMul of its own; no table is dequantized
    # per step and the embedding Gather stays float32 (docs/models.md, "int8 decoder").
    assert pkg.manifest["graph_optimizations"] == ["untie-output-projection"]
    assert pkg.manifest["quantization"]["decoder"] == {"op_types": ["MatMul"], "per_channel": True}
    assert _no_weight_dequantize(merged)
    # 7-bit weights (reduce_range): the uint8 x int8 kernel of CPUs without VNNI cannot saturate on them
    assert pkg.manifest["quantization"]["reduce_range"] is True
    assert _int8_weight_extremes(onnx.load(str(pkg.file(DECODER_MERGED)))) == (-64, 64)
    # The encoder stays float32 (the int8 one lost words on AAC audio: docs/benchmarks.md)
    assert pkg.manifest["quantization"]["encoder"] == "float32"
    quantized = {"MatMulInteger", "DynamicQuantizeMatMul", "ConvInteger"}
    assert _count_ops(onnx.load(str(pkg.file("encoder_model.onnx"))), quantized) == 0
    assert any("_transposed_untied" in i.name and i.data_type == onnx.TensorProto.INT8
               for i in merged.graph.initializer)
    # Control: without EnableSubgraph the branches keep float32 MatMul weights.
    from onnxruntime.quantization import QuantType, quantize_dynamic

    plain = tmp_path / "plain.onnx"
    quantize_dynamic(tiny_whisper_package / DECODER_MERGED, plain, weight_type=QuantType.QInt8)
    assert len(_float_matmul_weights_in_subgraphs(onnx.load(str(plain)))) > 0
    # The int8 package still decodes: teacher-forced agreement with PyTorch is recorded.
    assert 0.0 <= pkg.manifest["parity"]["agreement"] <= 1.0 and pkg.manifest["parity"]["n_tokens"] > 0


@pytest.mark.slow
def test_fp16_split_export_loads(tiny_whisper_hf_dir: Path, tmp_path: Path) -> None:
    out = export_package("whisper", str(tiny_whisper_hf_dir), tmp_path / "fp16", ExportOptions(precision="fp16"))
    pkg = open_package(out)
    assert pkg.decoder_layout == "split" and pkg.precision == "fp16"
    assert set(pkg.decoder_files) <= set(pkg.manifest["files"]) and DECODER_MERGED not in pkg.manifest["files"]
    for name in ("encoder_model.onnx", *pkg.decoder_files):
        model = onnx.load(str(pkg.file(name)))
        big = [i for i in model.graph.initializer if np.prod(i.dims) >= 1024]
        assert big and all(i.data_type == onnx.TensorProto.FLOAT16 for i in big), name
        sess = ort.InferenceSession(str(pkg.file(name)), providers=["CPUExecutionProvider"])
        assert all(i.type in ("tensor(float)", "tensor(int64)", "tensor(bool)") for i in sess.get_inputs())
    dec = ort.InferenceSession(str(pkg.file("decoder_with_past_model.onnx")), providers=["CPUExecutionProvider"])
    assert {"cross_attentions.0", "cross_attentions.1"} <= {o.name for o in dec.get_outputs()}
    assert pkg.manifest["parity"]["n_tokens"] > 0


@pytest.mark.slow
def test_fp32_parity_gate_refuses_a_broken_export(tiny_whisper_hf_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    original = build_mod.ox.drop_split_decoders

    def corrupt(out: Path) -> None:  # flip the sign of the tied output projection / embeddings
        original(out)
        model = onnx.load(str(out / DECODER_MERGED))
        assert any(i.name.startswith("model.decoder.embed_tokens.weight") for i in model.graph.initializer)
        for init in model.graph.initializer:
            if init.name.startswith("model.decoder.embed_tokens.weight"):
                init.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(init), init.name))
        onnx.save(model, str(out / DECODER_MERGED))

    monkeypatch.setattr(build_mod.ox, "drop_split_decoders", corrupt)
    with pytest.raises(ParityError):
        export_package("whisper", str(tiny_whisper_hf_dir), tmp_path / "bad", ExportOptions())
    assert not (tmp_path / "bad").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no half-written package left behind


def test_refuses_existing_output(tiny_whisper_hf_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        export_package("whisper", str(tiny_whisper_hf_dir), tmp_path / "out", ExportOptions())


def _hub_cache(repo_id: str, files_dir: Path, cache: Path) -> str:
    """Lay `files_dir` out as a Hugging Face hub cache entry (blobs + symlinked snapshot)."""
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for f in files_dir.iterdir():
        if f.is_file() and not f.name.startswith("."):
            blob = repo / "blobs" / hashlib.sha256(f.read_bytes()).hexdigest()
            shutil.copyfile(f, blob)
            (snap / f.name).symlink_to(os.path.relpath(blob, snap))
    return commit


@pytest.mark.slow
def test_export_from_hub_id_offline_cache(tiny_whisper_hf_dir: Path, tiny_whisper_package: Path,
                                          tmp_path: Path) -> None:
    """The hub-id route end to end (snapshot_download) against a local hub cache, offline.

    This covers id detection, snapshot resolution and the manifest's hub fields; it does not
    reach huggingface.co (tests never use the network).
    """
    commit = _hub_cache("toex-test/tiny-whisper", tiny_whisper_hf_dir, tmp_path / "hub")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(tmp_path / "hub"), PYTHONPATH=str(REPO))
    out = tmp_path / "pkg"
    proc = subprocess.run([sys.executable, "-m", "models.export", "whisper", "toex-test/tiny-whisper", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = open_package(out).manifest
    assert m["source"]["kind"] == "hub" and m["source"]["id"] == "toex-test/tiny-whisper"
    assert m["source"]["revision"] == commit
    assert m["name"] == "tiny-whisper-fp32"
    # Same checkpoint, same source digest and same ONNX files as the local-directory export.
    ref = _manifest(tiny_whisper_package)
    assert m["source"]["sha256"] == ref["source"]["sha256"]
    assert m["files"] == ref["files"]


def test_hub_id_unavailable_offline_fails_cleanly(tmp_path: Path) -> None:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(tmp_path / "empty"), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "models.export", "whisper", "openai/whisper-small",
                           str(tmp_path / "pkg")], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert not (tmp_path / "pkg").exists()


def test_translation_package(tiny_mt_package: Path) -> None:
    pkg = open_package(tiny_mt_package)
    m = pkg.manifest
    assert (pkg.task, pkg.architecture, pkg.decoder_layout) == ("translation", "marian", "merged")
    assert m["languages"] == ["en", "fr"] and m["multilingual"] is False
    assert m["cross_attentions"] is False and m["alignment_heads"] == []
    assert m["parity"]["tokens_equal"] is True and m["parity"]["input"] == "sentence:en"
    assert {"source.spm", "target.spm", "vocab.json", "encoder_model.onnx", DECODER_MERGED} <= set(m["files"])
    enc = ort.InferenceSession(str(pkg.file("encoder_model.onnx")), providers=["CPUExecutionProvider"])
    assert {i.name for i in enc.get_inputs()} == {"input_ids", "attention_mask"}


@pytest.mark.slow
def test_m2m100_int8_export(tiny_mt_hf_dir: Path, tmp_path: Path) -> None:
    hf = make_tiny_m2m100_hf(tmp_path / "tiny-m2m", tiny_mt_hf_dir / "source.spm")
    pkg = open_package(export_package("translation", str(hf), tmp_path / "pkg", ExportOptions(precision="int8")))
    m = pkg.manifest
    assert (pkg.architecture, pkg.precision, pkg.decoder_layout) == ("m2m100", "int8", "merged")
    assert m["multilingual"] is True and {"en", "fr", "de"} <= set(m["languages"]) and len(m["languages"]) == 100
    assert m["parity"]["input"] == "sentence:en" and m["parity"]["n_tokens"] > 0
    assert _float_matmul_weights_in_subgraphs(onnx.load(str(pkg.file(DECODER_MERGED)))) == []
