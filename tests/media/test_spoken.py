"""The no-speech-heard guard on generated media: speech, room tone, then a recorder's stop click.

Real Silero VAD on real audio (the pyannote sample's speech, an espeak-ng one-word answer): a segment
over the click or the room tone after the speech is refused, a segment over speech is kept, and so is
a one-word answer.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from shared.domain.transcript import Segment
from shared.media import NO_SPEECH_HEARD, load_audio, refuse_unspoken, speech_probabilities
from shared.media.decode import iter_audio
from tests.fixtures import mediagen

SR = 16_000


def _segment(start: float, end: float, text: str) -> Segment:
    return Segment(start, end, text, "en", -0.3, 0.1, 1.0, 0.0, None)


def _room(seconds: float, rng: np.random.Generator, amp: float = 0.002) -> np.ndarray:
    return (rng.standard_normal(round(seconds * SR)) * amp).astype(np.float32)


def _yes(tmp: Path) -> np.ndarray:
    assert shutil.which("espeak-ng"), "espeak-ng is missing: scripts/test.sh installs it (apt)"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "170", "-w", str(tmp / "yes.wav"), "Yes."], check=True)
    audio = load_audio(tmp / "yes.wav")
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0] : loud[-1] + 1]


@pytest.mark.parametrize("fmt", ["wav", "mp4"])
def test_text_over_a_click_after_the_speech_is_refused(vad_model_path: Path, tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(5)
    speech = mediagen.load_sample()[7 * SR : 12 * SR]  # 5 s of talk
    yes = _yes(tmp_path)
    tail = _room(3.0, rng)
    tail[SR : SR + SR // 4] += _room(0.25, rng, amp=0.05)  # the stop click, 1 s after the last word
    audio = np.concatenate([_room(0.5, rng), speech, _room(1.0, rng), yes, tail])
    yes_at = 0.5 + 5.0 + 1.0
    click_at = yes_at + len(yes) / SR + 1.0
    codec = {"wav": {"codec": "pcm_s16le"}, "mp4": {"codec": "aac", "rate": 44100, "video": "mpeg4"}}[fmt]
    src = mediagen.write_media(tmp_path / f"talk.{fmt}", audio, fmt=fmt, **codec)  # type: ignore[arg-type]
    probs = speech_probabilities(np.concatenate(list(iter_audio(src))), vad_model_path)
    segments = [
        _segment(0.5, 5.5, "what was said"),
        _segment(yes_at, yes_at + len(yes) / SR, "Yes."),
        _segment(click_at - 0.6, click_at + 0.3, "Thank you."),  # where Whisper wrote it on fraud.mp4
        _segment(click_at + 0.6, click_at + 1.5, "Bye."),  # room tone only
    ]
    kept, refused = refuse_unspoken(segments, probs)
    assert [s.text for s in kept] == ["what was said", "Yes."]
    assert refused == [(round(click_at - 0.6, 3), round(click_at + 0.3, 3), NO_SPEECH_HEARD),
                       (round(click_at + 0.6, 3), round(click_at + 1.5, 3), NO_SPEECH_HEARD)]
