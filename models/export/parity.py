"""Export parity: greedy tokens from the PyTorch fp32 checkpoint vs the exported ONNX package.

Both sides run the same minimal greedy loop (argmax, no logits processors). `tokens_equal`
compares free-running greedy outputs; `agreement` is teacher-forced: the fraction of steps at
which the ONNX argmax equals the PyTorch token when both are fed the PyTorch sequence.
"""

from __future__ import annotations

import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE

from .onnx_export import DECODER, DECODER_MERGED, DECODER_WITH_PAST, ENCODER

PARITY_SENTENCE = "The officer arrived at the address shortly after midnight and spoke to the witness."


def default_parity_audio() -> Path | None:
    """The cached pyannote sample (real speech), if it has been fetched."""
    from shared.assets import sample_path

    try:
        return sample_path(fetch_missing=False)
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Parity:
    reference: str
    input: str
    tokens_equal: bool
    agreement: float
    n_tokens: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_audio(path: Path, seconds: float) -> np.ndarray:
    """First `seconds` of a 16 kHz mono 16-bit WAV (the pyannote sample) as float32."""
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != SAMPLE_RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{path}: parity audio must be 16 kHz mono 16-bit PCM WAV")
        frames = w.readframes(int(seconds * SAMPLE_RATE))
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def synthetic_audio(seconds: float) -> np.ndarray:
    """Deterministic speech-like signal: gliding harmonics with a syllable envelope and noise."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3 * t)) * (t > 0.5)
    noise = np.random.default_rng(0).standard_normal(t.size) * 0.01
    return (0.1 * envelope * voiced + noise).astype(np.float32)


class OnnxSeq2Seq:
    """Minimal encoder + decoder (merged or split) runner for greedy decoding."""

    def __init__(self, package_dir: Path, providers: list[str] | None = None) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        provs = providers or ["CPUExecutionProvider"]

        def session(name: str) -> Any:
            return ort.InferenceSession(str(package_dir / name), opts, providers=provs)

        self.encoder = session(ENCODER)
        if (package_dir / DECODER_MERGED).exists():
            self.first = self.rest = session(DECODER_MERGED)
        else:
            self.first, self.rest = session(DECODER), session(DECODER_WITH_PAST)

    def encode(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        names = {i.name for i in self.encoder.get_inputs()}
        return self.encoder.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in names})[0]

    def _feeds(self, sess: Any, ids: np.ndarray, enc: np.ndarray, mask: np.ndarray | None,
               past: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        feeds: dict[str, np.ndarray] = {}
        for inp in sess.get_inputs():
            name = inp.name
            if name == "input_ids":
                feeds[name] = ids
            elif name == "encoder_hidden_states":
                feeds[name] = enc
            elif name == "encoder_attention_mask" and mask is not None:
                feeds[name] = mask
            elif name == "use_cache_branch":
                feeds[name] = np.array([past is not None])
            elif name.startswith("past_key_values."):
                present = "present." + name[len("past_key_values."):]
                if past is not None:
                    feeds[name] = past[present]
                else:
                    heads, head_dim = inp.shape[1], inp.shape[3]
                    feeds[name] = np.zeros((ids.shape[0], heads, 0, head_dim), dtype=np.float32)
        return feeds

    def greedy(self, enc: np.ndarray, prompt: list[int], eos: int, max_new: int,
               mask: np.ndarray | None = None, forced: list[int] | None = None) -> list[int]:
        """Greedy argmax tokens after `prompt`; with `forced`, feed those tokens and return argmaxes."""
        out: list[int] = []
        past: dict[str, np.ndarray] | None = None
        ids = np.array([prompt], dtype=np.int64)
        steps = len(forced) if forced is not None else max_new
        for step in range(steps):
            sess = self.first if past is None else self.rest
            names = [o.name for o in sess.get_outputs()]
            res = dict(zip(names, sess.run(None, self._feeds(sess, ids, enc, mask, past)), strict=True))
            token = int(np.argmax(res["logits"][0, -1]))
            out.append(token)
            new_past = {k: v for k, v in res.items() if k.startswith("present.")}
            if past is not None:  # the with-past branch does not re-emit the constant cross-attention cache
                for k, v in past.items():
                    if ".encoder." in k:
                        new_past[k] = v
            past = new_past
            nxt = forced[step] if forced is not None else token
            if forced is None and token == eos:
                break
            ids = np.array([[nxt]], dtype=np.int64)
        return out


def torch_greedy(model: Any, enc_inputs: dict[str, Any], prompt: list[int], eos: int, max_new: int) -> list[int]:
    import torch

    with torch.no_grad():
        encoder_outputs = model.get_encoder()(**enc_inputs)
        ids = torch.tensor([prompt])
        out: list[int] = []
        past = None
        mask = enc_inputs.get("attention_mask")
        for _ in range(max_new):
            res = model(encoder_outputs=encoder_outputs, attention_mask=mask, decoder_input_ids=ids,
                        past_key_values=past, use_cache=True)
            token = int(res.logits[0, -1].argmax())
            out.append(token)
            if token == eos:
                break
            past = res.past_key_values
            ids = torch.tensor([[token]])
    return out


def _compare(onnx: OnnxSeq2Seq, enc: np.ndarray, prompt: list[int], eos: int, ref: list[int],
             mask: np.ndarray | None, label: str) -> Parity:
    got = onnx.greedy(enc, prompt, eos, len(ref), mask=mask)
    forced = onnx.greedy(enc, prompt, eos, len(ref), mask=mask, forced=ref)
    agree = sum(a == b for a, b in zip(forced, ref, strict=True)) / max(len(ref), 1)
    return Parity("pytorch-fp32", label, got == ref, round(agree, 6), len(ref))


def whisper_parity(source_dir: Path, package_dir: Path, audio: np.ndarray, label: str,
                   max_new: int = 96, providers: list[str] | None = None) -> Parity:
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizerFast

    fe = WhisperFeatureExtractor.from_pretrained(source_dir, local_files_only=True)
    feats = fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features.astype(np.float32)
    tok = WhisperTokenizerFast.from_pretrained(source_dir, local_files_only=True)
    model = WhisperForConditionalGeneration.from_pretrained(source_dir, local_files_only=True).float().eval()
    gen = model.generation_config
    prompt = [model.config.decoder_start_token_id]
    if getattr(gen, "is_multilingual", False):
        prompt += tok.convert_tokens_to_ids(["<|en|>", "<|transcribe|>"])
    prompt.append(tok.convert_tokens_to_ids("<|notimestamps|>"))
    eos = int(model.config.eos_token_id)

    import torch

    ref = torch_greedy(model, {"input_features": torch.from_numpy(feats)}, prompt, eos, max_new)
    onnx = OnnxSeq2Seq(package_dir, providers)
    enc = onnx.encode({"input_features": feats})
    return _compare(onnx, enc, prompt, eos, ref, None, label)


def translation_parity(source_dir: Path, package_dir: Path, architecture: str, sentence: str = PARITY_SENTENCE,
                       target_language: str = "fr", max_new: int = 64,
                       providers: list[str] | None = None) -> Parity:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(source_dir, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(source_dir, local_files_only=True).float().eval()
    prompt = [int(model.config.decoder_start_token_id)]
    if architecture in ("m2m100", "nllb"):
        if architecture == "m2m100":
            tok.src_lang = "en"
            lang_id = tok.get_lang_id(target_language)
        else:
            tok.src_lang = "eng_Latn"
            lang_id = tok.convert_tokens_to_ids(target_language)
        prompt.append(int(lang_id))
    enc_in = tok(sentence, return_tensors="np")
    feeds = {"input_ids": enc_in["input_ids"].astype(np.int64),
             "attention_mask": enc_in["attention_mask"].astype(np.int64)}
    eos = int(model.config.eos_token_id)
    ref = torch_greedy(model, {k: torch.from_numpy(v) for k, v in feeds.items()}, prompt, eos, max_new)
    onnx = OnnxSeq2Seq(package_dir, providers)
    enc = onnx.encode(feeds)
    return _compare(onnx, enc, prompt, eos, ref, feeds["attention_mask"], "sentence:en")
