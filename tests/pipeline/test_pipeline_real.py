"""Real speech through the whole local pipeline with the product's default model (Whisper base)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.metrics import wer, word_count
from shared.domain import JobStatus, TranscriptionOptions
from shared.inference.whisper import WhisperEngine
from shared.media import load_audio
from tests.fixtures import mediagen
from tests.fixtures.pipeline import MakeApp, transcript_of

pytestmark = [pytest.mark.real_model, pytest.mark.slow]
SR = 16_000
SENTENCES = [
    "The suspect was seen leaving the premises at about half past nine in the evening.",
    "I asked him where he had been and he said he was at his brother's house all night.",
    "She told the officer that the car was parked on the corner of the high street.",
    "We found two mobile phones and a bag of cash in the kitchen drawer.",
    "He said he did not know the man in the photograph and had never met him.",
    "The interview was stopped at ten fifteen so that the solicitor could speak to her client.",
    "They arrived at the station shortly after midnight and were booked in by the custody sergeant.",
    "Nobody answered the door so the officers waited outside for twenty minutes.",
]


def _text(app, job) -> str:  # type: ignore[no-untyped-def]
    return " ".join(s["text"] for s in transcript_of(app, job)["segments"])


def test_pyannote_sample_through_the_pipeline(
    make_app: MakeApp, whisper_base_int8_package: Path, pyannote_sample
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(whisper_base_int8_package)
    final = app.run(app.submit(pyannote_sample.path, {"formats": ["json", "txt"]})[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    t = transcript_of(app, final)
    assert t["language"] == "en"
    assert wer(pyannote_sample.reference_text, _text(app, final)) <= 0.30


def _espeak(text: str, tmp: Path, i: int) -> np.ndarray:
    assert shutil.which("espeak-ng"), "espeak-ng is missing: scripts/test.sh installs it (apt)"
    out = tmp / f"tts-{i}.wav"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(out), text], check=True)
    return load_audio(out)


def test_five_minutes_of_real_and_synthetic_speech_lose_no_words_at_chunk_boundaries(
    make_app: MakeApp, whisper_base_int8_package: Path, pyannote_sample, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    real = load_audio(pyannote_sample.path)[int(6.3 * SR) :]
    pieces = [(real, pyannote_sample.reference_text)]
    pieces += [(_espeak(s, tmp_path, i), s) for i, s in enumerate(SENTENCES)]
    # each piece alone, same engine and options: the baseline the long file must match
    engine = WhisperEngine(whisper_base_int8_package)
    opts = TranscriptionOptions(language="en")
    alone = []
    for audio, _ in pieces:
        res = engine.transcribe(audio, [(0.0, min(len(audio) / SR, 30.0))], opts)
        alone.append(" ".join(s.text for s in res.segments))
    # a five-minute file: the pieces in turn, separated by short and long pauses, cut into 1-minute chunks
    rng = np.random.default_rng(7)
    order = [i % len(pieces) for i in range(26)]
    parts, refs, hyps_alone = [], [], []
    for k, i in enumerate(order):
        pause = [0.7, 2.5, 1.2, 14.0][k % 4]
        parts += [(rng.standard_normal(int(pause * SR)) * 0.001).astype(np.float32), pieces[i][0]]
        refs.append(pieces[i][1])
        hyps_alone.append(alone[i])
    audio = np.concatenate(parts)
    assert 295 <= len(audio) / SR <= 420
    src = mediagen.write_media(tmp_path / "interview.wav", audio, fmt="wav", codec="pcm_s16le")
    app = make_app(whisper_base_int8_package, chunk_minutes=1.0)
    final = app.run(app.submit(src, {"formats": ["json"], "language": "en"})[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    assert final.progress.chunks_total >= 4
    reference = " ".join(refs)
    long_wer = wer(reference, _text(app, final))
    pieces_wer = sum(wer(r, h) * word_count(r) for r, h in zip(refs, hyps_alone, strict=True)) / word_count(reference)
    assert long_wer <= pieces_wer + 0.01, (long_wer, pieces_wer)
