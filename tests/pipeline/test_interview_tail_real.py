"""A short synthetic interview through the local pipeline: nothing is transcribed after the last word.

Whisper base answers a short window of room tone or a click with a one-word segment ("You",
"Thank you."). The interview below ends as recordings do: the last answer, a second of room
tone, the recorder's stop button (a 0.25 s noise burst) and more room tone, as WAV and as a phone-style
MP4 (AAC at 44.1 kHz with a video track). Every segment must start before the last word has ended, and
the words must be there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.metrics import wer
from shared.domain import JobStatus
from shared.media import load_audio
from tests.fixtures import mediagen
from tests.fixtures.pipeline import MakeApp, transcript_of

pytestmark = [pytest.mark.real_model, pytest.mark.slow]
SR = 16_000
LINES = [
    ("en-gb", 150, "Where were you on Friday night at about eleven o'clock?"),
    ("en-gb-scotland", 160, "I was at home with my girlfriend watching a film."),
    ("en-gb-x-rp", 145, "Is there anyone else who can confirm that?"),
    ("en-gb-scotland", 160, "Her mother phoned us late in the evening."),
]


def _room(seconds: float, rng: np.random.Generator, amp: float = 0.002) -> np.ndarray:
    return (rng.standard_normal(round(seconds * SR)) * amp).astype(np.float32)


def _line(voice: str, rate: int, text: str, tmp: Path, i: int) -> np.ndarray:
    assert shutil.which("espeak-ng"), "espeak-ng is missing: scripts/test.sh installs it (apt)"
    out = tmp / f"line-{i}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(out), text], check=True)
    audio = load_audio(out)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0] : loud[-1] + 1]


@pytest.mark.parametrize(("tail", "fmt"), [("click", "wav"), ("room tone", "wav"), ("click", "mp4")])
def test_no_segment_after_the_last_word(make_app: MakeApp, whisper_base_int8_package: Path, tmp_path: Path,
                                        tail: str, fmt: str) -> None:
    rng = np.random.default_rng(3)
    parts = [_room(0.5, rng)]
    for i, (voice, rate, text) in enumerate(LINES):
        parts += [_line(voice, rate, text, tmp_path, i), _room(float(rng.uniform(0.3, 1.0)), rng)]
    parts.pop()
    last_word = sum(len(p) for p in parts) / SR
    end = _room(3.0, rng)
    if tail == "click":
        end[SR : SR + SR // 4] += _room(0.25, rng, amp=0.05)
    audio = np.concatenate([*parts, end])
    codec = {"wav": {"codec": "pcm_s16le"}, "mp4": {"codec": "aac", "rate": 44100, "video": "mpeg4"}}[fmt]
    src = mediagen.write_media(tmp_path / f"interview.{fmt}", audio, fmt=fmt, **codec)  # type: ignore[arg-type]
    app = make_app(whisper_base_int8_package)
    final = app.run(app.submit(src, {"formats": ["json"], "beam_size": 5, "batch_size": 1})[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    segments = transcript_of(app, final)["segments"]
    late = [(s["start"], s["text"]) for s in segments if s["start"] > last_word + 0.3]
    assert late == [], f"segments after the last word ({last_word:.2f} s): {late}"
    assert wer(" ".join(t for _, _, t in LINES), " ".join(s["text"] for s in segments), numbers=True) <= 0.2
