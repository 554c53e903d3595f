"""The interview development set and the long set, synthesised with espeak-ng (repeatable).

    python -m bench.interviews            # (re)build into <cache root>/bench/interviews, list the files

Interviews (``bench.interview_texts``): each speaker gets an espeak-ng voice and rate (two
officers alternate on the officer's lines, so three to five voices per interview), lines are
separated by 0.3-1.0 s of room tone, the file opens with 0.5 s and closes with 1.5-3 s of room
tone; every other interview has a short noise burst (a click, 0.25 s) 1 s after the last word,
as a recorder's stop button makes. Each interview is written as WAV (16 kHz PCM) and as MP4 (AAC
with an MPEG-4 video track). The long set joins the interview lines in groups of two to four,
in other voices, with 5-20 s of room tone between groups (several minutes per file).

Everything is seeded: the same espeak-ng version gives the same samples. ``last_speech_s`` of
each file is where its last word ends (the utterance trimmed to its audible part).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.dataset import Synthetic, espeak_version, synthesise
from bench.interview_texts import INTERVIEWS
from shared.domain.audio_format import SAMPLE_RATE

VOICES = ("en-gb", "en-us", "en-gb-scotland", "en-gb-x-rp", "en+f3", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
          "en-us+f2", "en-029", "en+m3")
RATES = (145, 160, 150, 170, 140, 155, 165)
ROOM_TONE = 0.002  # amplitude of the pauses' noise floor
AUDIBLE = 0.01  # an utterance is trimmed to where |x| first and last exceeds this
LONG_GROUPS = {"long-a": range(0, 5), "long-b": range(5, 10)}  # interviews whose lines each long file uses


@dataclass(frozen=True)
class Recording:
    name: str
    kind: str  # "interview" | "long"
    wav: str
    mp4: str | None
    reference: str
    duration_s: float
    last_speech_s: float
    voices: tuple[str, ...]


def output_dir() -> Path:
    from shared.settings import cache_root

    return cache_root() / "bench" / "interviews"


def _tone(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return (rng.standard_normal(round(seconds * SAMPLE_RATE)) * ROOM_TONE).astype(np.float32)


def _trimmed(audio: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > AUDIBLE)
    return audio[loud[0]:loud[-1] + 1] if len(loud) else audio[:0]


def _voice_of(k: int, speakers: list[str]) -> dict[str, tuple[str, int]]:
    """Interview k's speakers (in order of appearance, plus 'officer2') -> (voice, rate)."""
    names = [*speakers, "officer2"]
    return {s: (VOICES[(3 * k + 2 * j) % len(VOICES)], RATES[(k + j) % len(RATES)]) for j, s in enumerate(names)}


VoiceOf = Callable[[int, list[str]], dict[str, tuple[str, int]]]  # (interview k, speakers) -> (voice, rate) each


def _utterances(k: int, lines: tuple[tuple[str, str], ...], workdir: Path, voice_of: VoiceOf = _voice_of,
                prefix: str = "i") -> tuple[list[np.ndarray], set[str]]:
    """Interview k's lines spoken and trimmed, and the voices used; two officers alternate on "officer"."""
    voice = voice_of(k, list(dict.fromkeys(s for s, _ in lines)))
    out, used, officer_turn = [], set(), 0
    for i, (speaker, text) in enumerate(lines):
        who = speaker
        if speaker == "officer":
            who = "officer" if officer_turn % 2 == 0 else "officer2"
            officer_turn += 1
        v, rate = voice[who]
        used.add(v)
        out.append(_trimmed(synthesise(Synthetic(f"{prefix}{k}-{i}", v, rate, text), workdir)))
    return out, used


def _write(path: Path, audio: np.ndarray, video: bool) -> Path:
    from tests.fixtures.mediagen import write_media

    if video:
        return write_media(path, audio, fmt="mp4", codec="aac", rate=44100, video="mpeg4")
    return write_media(path, audio, fmt="wav", codec="pcm_s16le")


def _interview(k: int, name: str, lines: tuple[tuple[str, str], ...], out: Path, tmp: Path) -> Recording:
    rng = np.random.default_rng(100 + k)
    utts, voices = _utterances(k, lines, tmp)
    parts = [_tone(0.5, rng)]
    for i, u in enumerate(utts):
        if i:
            parts.append(_tone(float(rng.uniform(0.3, 1.0)), rng))
        parts.append(u)
    last = sum(len(p) for p in parts) / SAMPLE_RATE
    tail = _tone(float(rng.uniform(1.5, 3.0)), rng)
    if k % 2 == 1:  # the recorder's stop button: a 0.25 s burst 1 s after the last word
        a, b = SAMPLE_RATE, SAMPLE_RATE + SAMPLE_RATE // 4
        tail[a:b] += (rng.standard_normal(b - a) * 0.05).astype(np.float32)
    audio = np.concatenate([*parts, tail])
    stem = name.replace(" ", "-")
    wav = _write(out / f"{stem}.wav", audio, video=False)
    mp4 = _write(out / f"{stem}.mp4", audio, video=True)
    return Recording(stem, "interview", str(wav), str(mp4), " ".join(t for _, t in lines),
                     round(len(audio) / SAMPLE_RATE, 3), round(last, 3), tuple(sorted(voices)))


def _long(name: str, which: range, out: Path, tmp: Path) -> Recording:
    rng = np.random.default_rng(7 + which.start)
    lines = [line for k in which for line in INTERVIEWS[k][1]]
    utts, voices = _utterances(len(INTERVIEWS) + which.start, tuple(lines), tmp)
    parts, i = [_tone(1.0, rng)], 0
    while i < len(utts):
        n = int(rng.integers(2, 5))
        for j, u in enumerate(utts[i:i + n]):
            if j:
                parts.append(_tone(float(rng.uniform(0.3, 0.8)), rng))
            parts.append(u)
        i += n
        if i < len(utts):
            parts.append(_tone(float(rng.uniform(5.0, 20.0)), rng))
    last = sum(len(p) for p in parts) / SAMPLE_RATE
    audio = np.concatenate([*parts, _tone(2.0, rng)])
    wav = _write(out / f"{name}.wav", audio, video=False)
    return Recording(name, "long", str(wav), None, " ".join(t for _, t in lines),
                     round(len(audio) / SAMPLE_RATE, 3), round(last, 3), tuple(sorted(voices)))


def build(out: Path | None = None, rebuild: bool = False) -> list[Recording]:
    """All recordings (interviews first), built once per espeak-ng version into ``out``."""
    out = out or output_dir()

    def make(tmp: Path) -> list[Recording]:
        recs = [_interview(k, name, lines, out, tmp) for k, (name, lines) in enumerate(INTERVIEWS)]
        return recs + [_long(name, which, out, tmp) for name, which in LONG_GROUPS.items()]

    return cached_build(out, rebuild, make)


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def cached_build(out: Path, rebuild: bool, make: Callable[[Path], list[Recording]]) -> list[Recording]:
    """The recordings listed in ``out``'s manifest while it names this espeak-ng version and every WAV is
    there; otherwise ``make(tmp)`` builds them into ``out`` (``tmp``: a scratch folder for the voices) and
    the manifest is written, with each WAV's sha256 prefix, so a rebuild that gives other samples shows."""
    manifest = out / "manifest.json"
    version = espeak_version()
    if manifest.is_file() and not rebuild:
        data = json.loads(manifest.read_text())
        if data.get("espeak") == version and all(Path(r["wav"]).is_file() for r in data["recordings"]):
            return [Recording(**{**r, "voices": tuple(r["voices"])}) for r in data["recordings"]]
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="toex-interviews-") as tmp:
        recs = make(Path(tmp))
    manifest.write_text(json.dumps({"espeak": version, "recordings": [asdict(r) for r in recs],
                                    "wav_sha256": {r.name: _digest(r.wav) for r in recs}}, indent=1))
    return recs


SETS = {"heldout": "bench.interview_heldout", "dev2": "bench.interview_dev2", "dev3": "bench.interview_dev3"}


def recordings(kinds: set[str]) -> list[Recording]:
    """The recordings of the named kinds (``interview``, ``long`` and the sets of ``SETS``), each set built once."""
    import importlib

    recs = [r for r in build() if r.kind in kinds] if kinds & {"interview", "long"} else []
    for kind in sorted(kinds & SETS.keys()):
        recs += importlib.import_module(SETS[kind]).build()
    return recs


def show(recs: list[Recording]) -> None:
    """One line a recording, then the totals (the sets' ``python -m`` listing)."""
    from bench.metrics import word_count

    for r in recs:
        print(f"{r.name:18} {r.kind:9} {r.duration_s:7.1f} s  last word {r.last_speech_s:7.1f} s  "
              f"{word_count(r.reference):4} words  {'wav+mp4' if r.mp4 else 'wav':7}  {', '.join(r.voices)}")
    print(f"{sum(word_count(r.reference) for r in recs)} words, {sum(r.duration_s for r in recs):.1f} s")


if __name__ == "__main__":
    show(build(rebuild=True))
