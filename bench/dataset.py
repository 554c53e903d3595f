"""The benchmark's speech: the pyannote sample (real) and espeak-ng sentences (synthetic).

Every clip is at most 30 s so both engines transcribe it as one window. The definition is fixed
here so that runs repeat: same texts, voices and rates, same trim of the real sample.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.fetch import sample_path
from shared.domain.audio_format import SAMPLE_RATE
from shared.media import load_audio

REAL_START_S = 6.3  # the sample opens with 6.5 s of silence; Whisper base loops on a 0-30 s window
MAX_CLIP_S = 30.0


@dataclass(frozen=True)
class Clip:
    name: str
    kind: str  # "real" | "synthetic"
    audio: np.ndarray  # float32 mono 16 kHz
    reference: str

    @property
    def duration(self) -> float:
        return self.audio.shape[0] / SAMPLE_RATE


@dataclass(frozen=True)
class Synthetic:
    name: str
    voice: str
    rate_wpm: int
    text: str


SYNTHETIC: tuple[Synthetic, ...] = (
    Synthetic("opening", "en-gb", 150,
              "This interview is being recorded at the central police station. "
              "I am Detective Constable Sarah Hughes and I am interviewing you about an assault. "
              "Please state your full name for the recording. "
              "Do you want a solicitor to be present today?"),
    Synthetic("caution", "en-gb-x-rp", 140,
              "You do not have to say anything. But it may harm your defence if you do not mention "
              "when questioned something which you later rely on in court. "
              "Anything you do say may be given in evidence. Do you understand the caution?"),
    Synthetic("account", "en-gb-scotland", 160,
              "I left the pub just after closing and walked towards the bus station. "
              "There was a group of lads standing by the cash machine. "
              "One of them shouted something at my brother and then it all kicked off. "
              "I never touched anyone, I swear."),
    Synthetic("suspect", "en-gb", 150,
              "Can you describe the man who was holding the knife? "
              "He was tall, wearing a dark hooded jacket and grey tracksuit bottoms. "
              "Did you see which way he ran afterwards? "
              "He went down the alley behind the chemist and I lost sight of him."),
    Synthetic("alibi", "en-us", 155,
              "Where were you on Friday night? I was at home with my girlfriend watching a film. "
              "Is there anyone else who can confirm that? "
              "Her mother phoned us late in the evening, you can check her phone."),
    Synthetic("closing", "en-gb-x-gbclan", 145,
              "Is there anything else you would like to add or clarify? "
              "No, I have told you everything I know. "
              "Then this interview is now concluded and the recording will be stopped."),
)


def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split()[:4])


def synthesise(item: Synthetic, workdir: Path) -> np.ndarray:
    """espeak-ng WAV decoded and resampled to 16 kHz mono float32 by ``shared.media.load_audio``."""
    wav = workdir / f"{item.name}.wav"
    subprocess.run(["espeak-ng", "-v", item.voice, "-s", str(item.rate_wpm), "-w", str(wav), item.text],
                   check=True, capture_output=True)
    return load_audio(wav)


def real_clip() -> Clip:
    wav = sample_path()
    audio = load_audio(wav)[round(REAL_START_S * SAMPLE_RATE):]
    lines = (wav.with_name("sample.stm")).read_text().splitlines()
    reference = " ".join(line.split(maxsplit=5)[5] for line in lines if line.strip())
    return Clip("pyannote-sample", "real", audio, reference)


def build() -> list[Clip]:
    """All clips, real first. Raises if a clip would not fit one 30 s window."""
    clips = [real_clip()]
    with tempfile.TemporaryDirectory(prefix="toex-bench-") as tmp:
        clips += [Clip(s.name, "synthetic", synthesise(s, Path(tmp)), s.text) for s in SYNTHETIC]
    for c in clips:
        if not 0 < c.duration <= MAX_CLIP_S:
            raise ValueError(f"clip {c.name} lasts {c.duration:.1f} s (must be within one 30 s window)")
    return clips
