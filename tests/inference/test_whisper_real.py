"""WhisperEngine on the real Whisper base packages and the pyannote sample (marker real_model).

The sample has 6.5 s of silence before the first word; the windows below are what a VAD gives
(speech from 6.0 s). A single 0-30 s window makes Whisper base loop on this file (faster-whisper
does the same with these weights), which is why the pipeline passes VAD windows.
"""

from __future__ import annotations

import re
import wave
from pathlib import Path

import jiwer
import numpy as np
import pytest

from shared.domain.transcript import TranscriptionOptions
from shared.inference.features import FeatureExtractor
from shared.inference.whisper import WhisperEngine

pytestmark = [pytest.mark.real_model, pytest.mark.slow]
WINDOWS = [(6.0, 30.0)]


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(norm(reference), norm(hypothesis)))


@pytest.fixture(scope="module")
def audio(pyannote_sample) -> np.ndarray:
    return read_wav(pyannote_sample.path)


@pytest.fixture
def engine(whisper_base_package) -> WhisperEngine:
    return WhisperEngine(whisper_base_package, intra_op_threads=2)


def test_wer_default_options_and_word_times(engine, audio, pyannote_sample):
    r = engine.transcribe(audio, WINDOWS, TranscriptionOptions(language="en", word_timestamps=True))
    text = " ".join(s.text for s in r.segments)
    assert wer(pyannote_sample.reference_text, text) <= 0.30
    words = [w for s in r.segments for w in (s.words or ())]
    assert len(words) >= 50
    # the first word of each reference turn starts near its reference time
    hits, tried, k = 0, 0, 0
    for ref in pyannote_sample.segments:
        first = norm(ref.text).split()[0]
        for j in range(k, len(words)):
            if norm(words[j].text) == first and abs(words[j].start - ref.start) < 3.0:
                tried += 1
                hits += abs(words[j].start - ref.start) <= 0.6
                k = j + 1
                break
    assert tried >= 8 and hits / tried >= 0.7


def test_greedy_tokens_equal_pytorch(whisper_base_package, whisper_base_ct2_dir, audio, tmp_path):
    import torch
    from transformers import WhisperForConditionalGeneration

    from models.export.ct2 import build_hf_whisper

    engine = WhisperEngine(whisper_base_package, intra_op_threads=2)
    clip = audio[6 * 16000:]
    decoded = engine._decode_with_fallback(engine._encode([clip]), ["en"],
                                           TranscriptionOptions(beam_size=1, language="en"), 0)[0]
    hf = build_hf_whisper(whisper_base_ct2_dir, tmp_path / "hf")
    model = WhisperForConditionalGeneration.from_pretrained(hf, local_files_only=True).eval()
    feats = torch.from_numpy(FeatureExtractor(80)(clip)[None])
    with torch.no_grad():
        out = model.generate(feats, language="en", task="transcribe", return_timestamps=True, num_beams=1,
                             do_sample=False, max_new_tokens=224)
    ids = out.tolist()[0]
    tok = engine.tokenizer
    generated = [t for t in ids if t not in (tok.sot, tok.language_token("en"), tok.transcribe, tok.eot)]
    assert generated == decoded.hyp.tokens
    assert len(generated) > 50


def test_language_detection_says_english(engine, audio):
    det = engine.detect_language(audio, WINDOWS)
    assert det.language == "en" and det.probability > 0.8
    r = engine.transcribe(audio, WINDOWS, TranscriptionOptions(beam_size=1))
    assert r.language == "en" and all(s.language == "en" for s in r.segments)


def test_translate_task_runs(engine, audio):
    r = engine.transcribe(audio, [(6.0, 18.0)], TranscriptionOptions(task="translate", language="en", beam_size=1))
    assert r.segments and all(6.0 <= s.start <= s.end <= 18.0 for s in r.segments)
    assert all(s.text.isascii() for s in r.segments)


def test_silence_and_low_noise_give_no_segments(engine):
    rng = np.random.default_rng(0)
    audio = np.zeros(45 * 16000, dtype=np.float32)
    audio[20 * 16000:] = rng.standard_normal(25 * 16000).astype(np.float32) * 1e-3
    r = engine.transcribe(audio, None, TranscriptionOptions(beam_size=1))
    assert r.segments == ()


def test_int8_package_wer(whisper_base_int8_package, audio, pyannote_sample):
    engine = WhisperEngine(whisper_base_int8_package, intra_op_threads=2)
    assert engine.model_info["precision"] == "int8"
    r = engine.transcribe(audio, WINDOWS, TranscriptionOptions(language="en", beam_size=1))
    assert wer(pyannote_sample.reference_text, " ".join(s.text for s in r.segments)) <= 0.30
