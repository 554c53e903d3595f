"""Import a CTranslate2 / faster-whisper Whisper directory as a transformers checkpoint.

A CT2 Whisper directory holds model.bin (binary spec, see `read_model_bin`), config.json
(alignment heads, language token ids, suppressed tokens), tokenizer.json and vocabulary.txt.
The weights are float16 and map one-to-one onto `WhisperForConditionalGeneration`, so the
rebuilt model is exact up to the float16 → float32 widening.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")

_DTYPES: dict[int, Any] = {
    0: np.float32,
    1: np.int8,
    2: np.int16,
    3: np.int32,
    4: np.float16,
    5: "bfloat16",
}

# Whisper special tokens that are not language tokens.
_NON_LANGUAGE = {
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|nospeech|>",
    "<|notimestamps|>",
}


class CT2FormatError(ValueError):
    """model.bin is not a CTranslate2 Whisper model this importer understands."""


@dataclass(frozen=True)
class CT2Model:
    spec: str
    binary_version: int
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]

    def get(self, name: str) -> np.ndarray:
        return self.variables[self.aliases.get(name, name)]


def is_ct2_whisper_dir(path: Path) -> bool:
    return all((path / name).is_file() for name in ("model.bin", "config.json", "tokenizer.json"))


def _read(f: BinaryIO, fmt: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise CT2FormatError("truncated model.bin")
    return struct.unpack(fmt, data)


def _read_string(f: BinaryIO) -> str:
    (length,) = _read(f, "<H")
    raw = f.read(length)
    if len(raw) != length or not raw.endswith(b"\0"):
        raise CT2FormatError("bad string in model.bin")
    return raw[:-1].decode("utf-8")


def read_model_bin(path: Path) -> CT2Model:
    """Parse a CTranslate2 model.bin (binary version 6, little endian)."""
    with open(path, "rb") as f:
        (version,) = _read(f, "<I")
        if version != 6:
            raise CT2FormatError(f"unsupported model.bin binary version {version}")
        spec = _read_string(f)
        (revision,) = _read(f, "<I")
        (count,) = _read(f, "<I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(count):
            name = _read_string(f)
            (ndim,) = _read(f, "<B")
            dims = _read(f, f"<{ndim}I") if ndim else ()
            (dtype_id,) = _read(f, "<B")
            (nbytes,) = _read(f, "<I")
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise CT2FormatError(f"truncated variable {name}")
            dtype = _DTYPES.get(dtype_id)
            if dtype is None or dtype == "bfloat16":
                raise CT2FormatError(f"unsupported dtype id {dtype_id} for {name}")
            variables[name] = np.frombuffer(raw, dtype=dtype).reshape(dims)
        (n_alias,) = _read(f, "<I")
        aliases = {}
        for _ in range(n_alias):
            alias = _read_string(f)
            aliases[alias] = _read_string(f)
    return CT2Model(spec, version, revision, variables, aliases)


def _layer_count(names: set[str], prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/ffn/linear_0/weight" in names:
        n += 1
    return n


def _linear(sd: dict[str, np.ndarray], hf: str, m: CT2Model, ct2: str, bias: bool = True) -> None:
    sd[f"{hf}.weight"] = m.get(f"{ct2}/weight")
    if bias:
        sd[f"{hf}.bias"] = m.get(f"{ct2}/bias")


def _norm(sd: dict[str, np.ndarray], hf: str, m: CT2Model, ct2: str) -> None:
    sd[f"{hf}.weight"] = m.get(f"{ct2}/gamma")
    sd[f"{hf}.bias"] = m.get(f"{ct2}/beta")


def _split(a: np.ndarray, parts: int) -> list[np.ndarray]:
    if a.shape[0] % parts:
        raise CT2FormatError(f"cannot split {a.shape} into {parts}")
    return list(np.split(a, parts, axis=0))


def _attention(sd: dict[str, np.ndarray], hf: str, m: CT2Model, ct2: str, fused_qkv: bool) -> None:
    if fused_qkv:
        ws = _split(m.get(f"{ct2}/linear_0/weight"), 3)
        bs = _split(m.get(f"{ct2}/linear_0/bias"), 3)
        out = f"{ct2}/linear_1"
    else:
        ws = [m.get(f"{ct2}/linear_0/weight"), *_split(m.get(f"{ct2}/linear_1/weight"), 2)]
        bs = [m.get(f"{ct2}/linear_0/bias"), *_split(m.get(f"{ct2}/linear_1/bias"), 2)]
        out = f"{ct2}/linear_2"
    if np.any(bs[1] != 0):
        raise CT2FormatError(f"{ct2}: non-zero key bias cannot be represented in Whisper")
    for proj, w, b in zip(("q_proj", "k_proj", "v_proj"), ws, bs, strict=True):
        sd[f"{hf}.{proj}.weight"] = w
        if proj != "k_proj":
            sd[f"{hf}.{proj}.bias"] = b
    _linear(sd, f"{hf}.out_proj", m, out)


def whisper_state_dict(m: CT2Model) -> dict[str, np.ndarray]:
    """Map CT2 Whisper variables onto HF `WhisperForConditionalGeneration` parameter names."""
    names = set(m.variables)
    sd: dict[str, np.ndarray] = {}
    enc, dec = "model.encoder", "model.decoder"
    _linear(sd, f"{enc}.conv1", m, "encoder/conv1")
    _linear(sd, f"{enc}.conv2", m, "encoder/conv2")
    sd[f"{enc}.embed_positions.weight"] = m.get("encoder/position_encodings/encodings")
    for i in range(_layer_count(names, "encoder")):
        hf, ct = f"{enc}.layers.{i}", f"encoder/layer_{i}"
        _attention(sd, f"{hf}.self_attn", m, f"{ct}/self_attention", fused_qkv=True)
        _norm(sd, f"{hf}.self_attn_layer_norm", m, f"{ct}/self_attention/layer_norm")
        _linear(sd, f"{hf}.fc1", m, f"{ct}/ffn/linear_0")
        _linear(sd, f"{hf}.fc2", m, f"{ct}/ffn/linear_1")
        _norm(sd, f"{hf}.final_layer_norm", m, f"{ct}/ffn/layer_norm")
    _norm(sd, f"{enc}.layer_norm", m, "encoder/layer_norm")
    sd[f"{dec}.embed_tokens.weight"] = m.get("decoder/embeddings/weight")
    sd[f"{dec}.embed_positions.weight"] = m.get("decoder/position_encodings/encodings")
    for i in range(_layer_count(names, "decoder")):
        hf, ct = f"{dec}.layers.{i}", f"decoder/layer_{i}"
        _attention(sd, f"{hf}.self_attn", m, f"{ct}/self_attention", fused_qkv=True)
        _norm(sd, f"{hf}.self_attn_layer_norm", m, f"{ct}/self_attention/layer_norm")
        _attention(sd, f"{hf}.encoder_attn", m, f"{ct}/attention", fused_qkv=False)
        _norm(sd, f"{hf}.encoder_attn_layer_norm", m, f"{ct}/attention/layer_norm")
        _linear(sd, f"{hf}.fc1", m, f"{ct}/ffn/linear_0")
        _linear(sd, f"{hf}.fc2", m, f"{ct}/ffn/linear_1")
        _norm(sd, f"{hf}.final_layer_norm", m, f"{ct}/ffn/layer_norm")
    _norm(sd, f"{dec}.layer_norm", m, "decoder/layer_norm")
    proj = m.get("decoder/projection/weight")
    if not np.array_equal(proj, sd[f"{dec}.embed_tokens.weight"]):
        raise CT2FormatError("output projection is not tied to the embeddings")
    return sd


def _scalar(m: CT2Model, name: str, default: int) -> int:
    v = m.variables.get(name)
    return default if v is None else int(v.reshape(-1)[0])


def _check_flags(m: CT2Model) -> None:
    # Whisper: GELU (CT2 activation id 3), pre-norm, unscaled embeddings, no ALiBi.
    expected = {"decoder/activation": 3, "decoder/pre_norm": 1, "decoder/scale_embeddings": 0, "decoder/alibi": 0}
    for name, want in expected.items():
        if name in m.variables and _scalar(m, name, want) != want:
            raise CT2FormatError(f"{name} = {_scalar(m, name, want)}, expected {want} for Whisper")


def _complete_tokenizer(tokenizer_json: dict[str, Any], vocabulary: list[str]) -> dict[str, Any]:
    """Add the timestamp tokens (<|0.00|> …) that old Whisper tokenizer.json files lack.

    The ids and strings come from the CT2 vocabulary.txt, which lists the full model vocabulary.
    """
    added = tokenizer_json.get("added_tokens", [])
    known = {t["id"] for t in added} | set(tokenizer_json["model"]["vocab"].values())
    for idx, token in enumerate(vocabulary):
        if idx not in known:
            added.append(
                {"id": idx, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": False}
            )
    tokenizer_json["added_tokens"] = sorted(added, key=lambda t: t["id"])
    return tokenizer_json


def whisper_tokenizer(tokenizer_json: Path, vocabulary: list[str], out: Path) -> Any:
    """Write a completed tokenizer.json into `out` and return the WhisperTokenizerFast over it."""
    from transformers import WhisperTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    data = _complete_tokenizer(json.loads(tokenizer_json.read_text(encoding="utf-8")), vocabulary)
    (out / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return WhisperTokenizerFast(tokenizer_file=str(out / "tokenizer.json"))


def whisper_generation_config(tokenizer: Any, ct2_config: dict[str, Any], max_length: int,
                              vocab_size: int | None = None) -> Any:
    """HF generation config equivalent to a CT2 Whisper config.json.

    Multilingual models detect the language when none is given and keep `<|transcribe|>`
    forced after it (task_to_id / lang_to_id / forced_decoder_ids); without these fields
    auto-language generation drops the task token and degenerates.
    """
    from transformers import GenerationConfig

    tid = tokenizer.convert_tokens_to_ids
    eot, sot, no_ts = tid("<|endoftext|>"), tid("<|startoftranscript|>"), tid("<|notimestamps|>")
    # English-only checkpoints have 51864 tokens; CT2 still lists language ids for them.
    multilingual = (len(tokenizer) if vocab_size is None else vocab_size) >= 51865
    lang_ids = [int(i) for i in ct2_config.get("lang_ids", [])] if multilingual else []
    suppress = [int(i) for i in ct2_config.get("suppress_ids", [])]
    gen: dict[str, Any] = {
        "alignment_heads": [[int(a), int(b)] for a, b in ct2_config.get("alignment_heads", [])],
        "begin_suppress_tokens": [int(i) for i in ct2_config.get("suppress_ids_begin", [220, eot])],
        "bos_token_id": eot,
        "decoder_start_token_id": sot,
        "eos_token_id": eot,
        "pad_token_id": eot,
        "is_multilingual": bool(lang_ids),
        "max_initial_timestamp_index": 50,
        "max_length": max_length,
        "no_timestamps_token_id": no_ts,
        "prev_sot_token_id": tid("<|startofprev|>"),
        "return_timestamps": False,
        "suppress_tokens": suppress,
    }
    if lang_ids:
        tokens = tokenizer.convert_ids_to_tokens(lang_ids)
        gen["lang_to_id"] = {t: i for t, i in zip(tokens, lang_ids, strict=True)}
        gen["task_to_id"] = {"transcribe": tid("<|transcribe|>"), "translate": tid("<|translate|>")}
        gen["forced_decoder_ids"] = [[1, None], [2, tid("<|transcribe|>")]]
    else:
        gen["forced_decoder_ids"] = [[1, no_ts]]
    return GenerationConfig(**gen)


def save_whisper_processor(tokenizer: Any, n_mels: int, out: Path) -> None:
    from transformers import WhisperFeatureExtractor, WhisperProcessor

    extractor = WhisperFeatureExtractor(feature_size=n_mels)
    WhisperProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(out)


def build_hf_whisper(src: Path, out: Path) -> Path:
    """Rebuild a CT2 Whisper directory `src` as a transformers checkpoint in `out`; returns `out`."""
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    m = read_model_bin(src / "model.bin")
    if m.spec != "WhisperSpec":
        raise CT2FormatError(f"{src}: spec {m.spec!r} is not WhisperSpec")
    _check_flags(m)
    ct2_config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    vocabulary = (src / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    sd = whisper_state_dict(m)

    names = set(m.variables)
    vocab_size, d_model = sd["model.decoder.embed_tokens.weight"].shape
    n_mels = sd["model.encoder.conv1.weight"].shape[1]
    if len(vocabulary) != vocab_size:
        raise CT2FormatError(f"vocabulary.txt has {len(vocabulary)} tokens, model has {vocab_size}")
    tokenizer = whisper_tokenizer(src / "tokenizer.json", vocabulary, out)
    eot = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = WhisperConfig(
        vocab_size=vocab_size,
        num_mel_bins=n_mels,
        d_model=d_model,
        encoder_layers=_layer_count(names, "encoder"),
        decoder_layers=_layer_count(names, "decoder"),
        encoder_attention_heads=_scalar(m, "encoder/num_heads", d_model // 64),
        decoder_attention_heads=_scalar(m, "decoder/num_heads", d_model // 64),
        encoder_ffn_dim=sd["model.encoder.layers.0.fc1.weight"].shape[0],
        decoder_ffn_dim=sd["model.decoder.layers.0.fc1.weight"].shape[0],
        max_source_positions=sd["model.encoder.embed_positions.weight"].shape[0],
        max_target_positions=sd["model.decoder.embed_positions.weight"].shape[0],
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        decoder_start_token_id=tokenizer.convert_tokens_to_ids("<|startoftranscript|>"),
        suppress_tokens=None,  # generation settings live in generation_config.json
        begin_suppress_tokens=None,
        scale_embedding=False,
        tie_word_embeddings=True,
    )
    model = WhisperForConditionalGeneration(config)
    tensors = {k: torch.from_numpy(v.astype(np.float32)) for k, v in sd.items()}
    tensors["proj_out.weight"] = tensors["model.decoder.embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or set(missing) - {"proj_out.weight"}:
        raise CT2FormatError(f"weight mapping mismatch: missing={missing} unexpected={unexpected}")
    model.eval()
    model.generation_config = whisper_generation_config(tokenizer, ct2_config, config.max_target_positions,
                                                        vocab_size)
    model.save_pretrained(out, safe_serialization=True)
    save_whisper_processor(tokenizer, n_mels, out)
    return out


def language_codes(tokenizer_json: Path, lang_ids: list[int]) -> list[str]:
    """Map language token ids (e.g. 50259) to codes ("en") using tokenizer.json."""
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    by_id = {t["id"]: t["content"] for t in data.get("added_tokens", [])}
    codes = []
    for i in lang_ids:
        tok = by_id.get(i, "")
        if tok.startswith("<|") and tok.endswith("|>") and tok not in _NON_LANGUAGE:
            codes.append(tok[2:-2])
    return codes
