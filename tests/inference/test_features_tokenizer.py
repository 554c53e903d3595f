"""Log-mel features against transformers, and the Whisper tokenizer over tokenizers."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from shared.inference.features import N_FRAMES, FeatureExtractor, mel_filterbank
from shared.inference.tokenizer import WhisperTokenizer


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0


@pytest.mark.parametrize("n_mels", [80, 128])
def test_features_match_transformers(pyannote_sample, n_mels):
    from transformers import WhisperFeatureExtractor

    speech = read_wav(pyannote_sample.path)
    noise = np.random.default_rng(0).standard_normal(16000 * 40).astype(np.float32) * 0.1
    ours, ref = FeatureExtractor(n_mels), WhisperFeatureExtractor(feature_size=n_mels)
    for clip in (speech, speech[: 16000 * 7], noise):
        got = ours(clip)
        want = ref(clip, sampling_rate=16000, return_tensors="np").input_features[0]
        assert got.shape == want.shape == (n_mels, N_FRAMES)
        assert np.abs(got - want).max() <= 1e-3


def test_mel_filterbank_matches_transformers():
    from transformers.audio_utils import mel_filter_bank

    want = mel_filter_bank(num_frequency_bins=201, num_mel_filters=80, min_frequency=0.0, max_frequency=8000.0,
                           sampling_rate=16000, norm="slaney", mel_scale="slaney")
    assert np.allclose(mel_filterbank(80), want.T, atol=1e-6)


@pytest.fixture(scope="module")
def tok(tiny_whisper_package) -> WhisperTokenizer:
    return WhisperTokenizer(tiny_whisper_package / "tokenizer.json", multilingual=True)


def test_special_tokens_and_languages(tok):
    assert tok.sot == 50258 and tok.eot == 50257 and tok.no_timestamps == 50363
    assert tok.timestamp_begin == 50364
    assert tok.languages[:3] == ("en", "zh", "de") and len(tok.languages) == 99
    assert tok.sot_sequence("fr", "translate") == [50258, tok.language_token("fr"), tok.translate]
    with pytest.raises(ValueError):
        tok.language_token("xx")


def test_english_only_start_sequence(tiny_whisper_package):
    tok = WhisperTokenizer(tiny_whisper_package / "tokenizer.json", multilingual=False)
    assert tok.sot_sequence(None) == [tok.sot] and tok.languages == ()


@pytest.mark.parametrize("text", [" Hello world, ça va?", " Zażółć gęślą jaźń", " 警察に電話してください。"])
def test_round_trip(tok, text):
    ids = tok.encode(text)
    assert all(i < tok.eot for i in ids)
    assert tok.decode(ids) == text
    ts = [tok.timestamp_begin, *ids, tok.timestamp_begin + 55, tok.eot]
    assert tok.decode(ts) == text
    assert tok.decode_with_timestamps(ts) == f"<|0.00|>{text}<|1.10|>"


def test_prompt_encoding(tok):
    assert tok.prompt(None, None) == []
    p = tok.prompt("Police interview.", "PACE")
    assert p[0] == tok.sot_prev and tok.decode(p[1:]) == " PACE Police interview."
    assert len(tok.prompt("word " * 1000, None)) == 448 // 2


@pytest.mark.real_model
def test_suppress_tokens_match_ct2_whisper_config(whisper_base_ct2_dir):
    cfg = json.loads((whisper_base_ct2_dir / "config.json").read_text())
    tok = WhisperTokenizer(whisper_base_ct2_dir / "tokenizer.json")
    assert list(tok.suppress_tokens) == cfg["suppress_ids"]
    assert list(tok.blank_tokens) == cfg["suppress_ids_begin"]
    assert [tok.language_token(c) for c in tok.languages] == cfg["lang_ids"]
