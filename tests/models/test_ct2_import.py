"""CTranslate2 Whisper importer: binary format, weight mapping, and parity with CTranslate2 itself."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from models.export import ExportOptions, export_package
from models.export.ct2 import CT2FormatError, build_hf_whisper, read_model_bin
from models.export.parity import load_audio, torch_greedy
from shared import assets as fetch
from shared.inference.package import open_package

# ------------------------------------------------------------------ a model.bin writer (test-side)

_DTYPE_IDS = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.int32): 3,
              np.dtype(np.float16): 4}


def _string(s: str) -> bytes:
    raw = s.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_model_bin(path: Path, variables: dict[str, np.ndarray], aliases: dict[str, str]) -> None:
    """CTranslate2 binary version 6 as written by ctranslate2.specs (WhisperSpec, revision 3)."""
    out = [struct.pack("<I", 6), _string("WhisperSpec"), struct.pack("<I", 3), struct.pack("<I", len(variables))]
    for name in sorted(variables):
        a = np.asarray(variables[name])  # keeps 0-d scalars 0-d (ascontiguousarray would not)
        out += [_string(name), struct.pack("<B", a.ndim), struct.pack(f"<{a.ndim}I", *a.shape),
                struct.pack("<B", _DTYPE_IDS[a.dtype]), struct.pack("<I", a.nbytes), a.tobytes()]
    out.append(struct.pack("<I", len(aliases)))
    for alias, target in aliases.items():
        out += [_string(alias), _string(target)]
    path.write_bytes(b"".join(out))


def ct2_variables(sd: dict[str, torch.Tensor], heads: int) -> dict[str, np.ndarray]:
    """HF Whisper state dict → CT2 variable names (fused qkv, zero key bias), float16."""
    h = {k: v.detach().numpy().astype(np.float16) for k, v in sd.items()}
    v: dict[str, np.ndarray] = {}

    def lin(ct: str, hf: str) -> None:
        v[f"{ct}/weight"], v[f"{ct}/bias"] = h[f"{hf}.weight"], h[f"{hf}.bias"]

    def norm(ct: str, hf: str) -> None:
        v[f"{ct}/gamma"], v[f"{ct}/beta"] = h[f"{hf}.weight"], h[f"{hf}.bias"]

    def attn(ct: str, hf: str, fused: bool) -> None:
        q, k, val = (h[f"{hf}.{p}_proj.weight"] for p in ("q", "k", "v"))
        qb, vb = h[f"{hf}.q_proj.bias"], h[f"{hf}.v_proj.bias"]
        kb = np.zeros_like(qb)
        if fused:
            v[f"{ct}/linear_0/weight"] = np.concatenate([q, k, val])
            v[f"{ct}/linear_0/bias"] = np.concatenate([qb, kb, vb])
            lin(f"{ct}/linear_1", f"{hf}.out_proj")
        else:
            v[f"{ct}/linear_0/weight"], v[f"{ct}/linear_0/bias"] = q, qb
            v[f"{ct}/linear_1/weight"] = np.concatenate([k, val])
            v[f"{ct}/linear_1/bias"] = np.concatenate([kb, vb])
            lin(f"{ct}/linear_2", f"{hf}.out_proj")

    def layers(side: str) -> int:
        return len({k.split(".")[3] for k in h if k.startswith(f"model.{side}.layers.")})

    lin("encoder/conv1", "model.encoder.conv1")
    lin("encoder/conv2", "model.encoder.conv2")
    v["encoder/position_encodings/encodings"] = h["model.encoder.embed_positions.weight"]
    for i in range(layers("encoder")):
        ct, hf = f"encoder/layer_{i}", f"model.encoder.layers.{i}"
        attn(f"{ct}/self_attention", f"{hf}.self_attn", True)
        norm(f"{ct}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm")
        lin(f"{ct}/ffn/linear_0", f"{hf}.fc1")
        lin(f"{ct}/ffn/linear_1", f"{hf}.fc2")
        norm(f"{ct}/ffn/layer_norm", f"{hf}.final_layer_norm")
    norm("encoder/layer_norm", "model.encoder.layer_norm")
    v["decoder/embeddings/weight"] = h["model.decoder.embed_tokens.weight"]
    v["decoder/position_encodings/encodings"] = h["model.decoder.embed_positions.weight"]
    for i in range(layers("decoder")):
        ct, hf = f"decoder/layer_{i}", f"model.decoder.layers.{i}"
        attn(f"{ct}/self_attention", f"{hf}.self_attn", True)
        norm(f"{ct}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm")
        attn(f"{ct}/attention", f"{hf}.encoder_attn", False)
        norm(f"{ct}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm")
        lin(f"{ct}/ffn/linear_0", f"{hf}.fc1")
        lin(f"{ct}/ffn/linear_1", f"{hf}.fc2")
        norm(f"{ct}/ffn/layer_norm", f"{hf}.final_layer_norm")
    norm("decoder/layer_norm", "model.decoder.layer_norm")
    for side in ("encoder", "decoder"):
        v[f"{side}/num_heads"] = np.array(heads, dtype=np.int16)
    v["decoder/activation"] = np.array(3, dtype=np.int8)
    v["decoder/pre_norm"] = np.array(1, dtype=np.int8)
    v["decoder/scale_embeddings"] = np.array(0, dtype=np.int8)
    v["decoder/alibi"] = np.array(0, dtype=np.int8)
    return v


@pytest.fixture(scope="module")
def synthetic_ct2(tiny_whisper_hf_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The tiny random Whisper written out as a CTranslate2 directory (model.bin written by this test)."""
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(tiny_whisper_hf_dir)
    variables = ct2_variables(model.state_dict(), model.config.encoder_attention_heads)
    d = tmp_path_factory.mktemp("ct2") / "tiny-ct2"
    d.mkdir()
    write_model_bin(d / "model.bin", variables, {"decoder/projection/weight": "decoder/embeddings/weight"})
    base = fetch.source_path(fetch.BASE_SOURCE)
    for name in ("tokenizer.json", "vocabulary.txt"):
        shutil.copy(base / name, d / name)
    config = json.loads((base / "config.json").read_text())
    config["alignment_heads"] = [[1, 0], [1, 1]]
    (d / "config.json").write_text(json.dumps(config))
    return d, variables


def test_model_bin_round_trip(synthetic_ct2: tuple[Path, dict]) -> None:
    d, variables = synthetic_ct2
    m = read_model_bin(d / "model.bin")
    assert (m.spec, m.binary_version, m.revision) == ("WhisperSpec", 6, 3)
    assert set(m.variables) == set(variables)
    assert m.aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    for name, a in variables.items():
        assert m.variables[name].dtype == a.dtype and np.array_equal(m.variables[name], a), name
    assert m.get("decoder/projection/weight") is m.variables["decoder/embeddings/weight"]


def test_rebuilt_weights_equal_the_ct2_weights(synthetic_ct2: tuple[Path, dict], tiny_whisper_hf_dir: Path,
                                               tmp_path: Path) -> None:
    from transformers import WhisperForConditionalGeneration

    d, _ = synthetic_ct2
    rebuilt = WhisperForConditionalGeneration.from_pretrained(build_hf_whisper(d, tmp_path / "hf")).state_dict()
    original = WhisperForConditionalGeneration.from_pretrained(tiny_whisper_hf_dir).state_dict()
    assert set(rebuilt) == set(original)
    for k, t in original.items():  # exact up to the float16 storage of the CT2 file
        assert torch.equal(rebuilt[k], t.half().float()), k
    gen = json.loads((tmp_path / "hf" / "generation_config.json").read_text())
    assert gen["is_multilingual"] and gen["lang_to_id"]["<|en|>"] == 50259
    assert gen["task_to_id"] == {"transcribe": 50359, "translate": 50358}
    assert gen["alignment_heads"] == [[1, 0], [1, 1]] and gen["no_timestamps_token_id"] == 50363
    tok = json.loads((tmp_path / "hf" / "tokenizer.json").read_text())
    by_id = {t["id"]: t["content"] for t in tok["added_tokens"]}
    assert by_id[50364] == "<|0.00|>" and by_id[51864] == "<|30.00|>"  # timestamps from vocabulary.txt


@pytest.mark.slow
def test_export_from_ct2_dir(synthetic_ct2: tuple[Path, dict], tmp_path: Path) -> None:
    d, _ = synthetic_ct2
    out = export_package("whisper", str(d), tmp_path / "pkg", ExportOptions(parity_audio=fetch.sample_path()))
    m = open_package(out).manifest
    assert m["source"]["kind"] == "ct2" and m["source"]["id"] == "tiny-ct2"
    assert m["parity"]["tokens_equal"] is True and m["alignment_heads"] == [[1, 0], [1, 1]]
    assert m["languages"][0] == "en" and m["multilingual"] is True


def test_corrupt_model_bin_refused(synthetic_ct2: tuple[Path, dict], tmp_path: Path) -> None:
    d, variables = synthetic_ct2
    raw = (d / "model.bin").read_bytes()
    (tmp_path / "model.bin").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CT2FormatError, match="truncated"):
        read_model_bin(tmp_path / "model.bin")
    bad = dict(variables)
    b = bad["decoder/layer_0/attention/linear_1/bias"].copy()
    b[0] = 1.0  # a key bias Whisper cannot represent
    bad["decoder/layer_0/attention/linear_1/bias"] = b
    broken = tmp_path / "broken"
    shutil.copytree(d, broken)
    write_model_bin(broken / "model.bin", bad, {"decoder/projection/weight": "decoder/embeddings/weight"})
    with pytest.raises(CT2FormatError, match="key bias"):
        build_hf_whisper(broken, tmp_path / "hf")


# ------------------------------------------------------------------ real weights


@pytest.mark.real_model
@pytest.mark.slow
def test_rebuilt_base_matches_ctranslate2(whisper_base_ct2_dir: Path, pyannote_sample, tmp_path: Path) -> None:
    import ctranslate2
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizerFast

    hf = build_hf_whisper(whisper_base_ct2_dir, tmp_path / "hf")
    audio = load_audio(pyannote_sample.path, 30.0)
    feats = WhisperFeatureExtractor.from_pretrained(hf)(audio, sampling_rate=16000,
                                                        return_tensors="np").input_features.astype(np.float32)
    tok = WhisperTokenizerFast.from_pretrained(hf)
    prompt = tok.convert_tokens_to_ids(["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"])
    ct = ctranslate2.models.Whisper(str(whisper_base_ct2_dir), device="cpu", compute_type="float32")
    res = ct.generate(ctranslate2.StorageView.from_array(feats), [prompt], beam_size=1, max_length=448,
                      suppress_blank=False, suppress_tokens=[])
    ct_tokens = res[0].sequences_ids[0]
    model = WhisperForConditionalGeneration.from_pretrained(hf).eval()
    eot = tok.convert_tokens_to_ids("<|endoftext|>")
    ours = torch_greedy(model, {"input_features": torch.from_numpy(feats)}, prompt, eot, 448)
    assert ours[-1] == eot
    assert ours[:-1] == ct_tokens and len(ct_tokens) > 80
    text = tok.decode(ct_tokens).lower()
    assert "didn't know you were there" in text
    enc_ct = np.asarray(ct.encode(ctranslate2.StorageView.from_array(feats)))
    with torch.no_grad():
        enc_hf = model.model.encoder(torch.from_numpy(feats)).last_hidden_state.numpy()
    assert np.abs(enc_ct - enc_hf).max() < 1e-2
    assert np.abs(enc_ct - enc_hf).mean() < 1e-4


@pytest.mark.real_model
@pytest.mark.slow
def test_export_real_tiny_en_from_ct2(tmp_path: Path) -> None:
    src = fetch.source_path(fetch.TINY_EN_SOURCE)
    out = export_package("whisper", str(src), tmp_path / "tiny.en", ExportOptions(parity_audio=fetch.sample_path()))
    m = open_package(out).manifest
    assert m["multilingual"] is False and m["languages"] == ["en"]
    assert m["alignment_heads"][:2] == [[1, 0], [2, 0]]
    assert m["parity"]["tokens_equal"] is True and m["parity"]["n_tokens"] > 10
    gen = json.loads((out / "generation_config.json").read_text())
    assert gen["decoder_start_token_id"] == 50257 and gen["eos_token_id"] == 50256
