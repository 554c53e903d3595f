"""A conversation split over audio tracks (one microphone per speaker) against the same speech on one track.

    python -m bench.conversation_tracks [--packages int8,fp32] [--sources pyannote,dialogue-2,dialogue-3]
                                        [--cases one,split,bleed,room,duplicate,overlap]

Sources: the pyannote sample (real, 2 speakers, reference from its STM) and espeak-ng dialogues of
``bench.dialogues`` (2 and 3 voices, exact turns). Each source's speakers are put one per track:

* ``one``: the recording as it is, one track (the reference figure).
* ``split``: an MKV (Opus) with a silent first track, then one track per speaker holding only that
  speaker's turns, every speech track starting 3 s late, gains 1.0 / 0.35 / 0.6 (mics set differently).
* ``bleed``: as split, but the first speaker's mic (the loudest) also hears every other speaker at -16 dB,
  ``BLEED_DELAY_S`` (4 ms) after that speaker's own mic: sound travels about 1.4 m further (summed
  with the direct sound, delayed bleed is a comb filter).
* ``room``: what real rooms add. Every mic hears every other speaker at -20 dB, 3-7 ms late (a delay
  per pair); each mic has its own noise floor (hiss at -66 / -50 / -58 dBFS); the first mic is set
  12 dB hot and clips at full scale (an overdriven mic), the others at the split's gains.
* ``duplicate``: the whole recording on two tracks (a recorder writing the same mic twice).
* ``overlap``: two different sources at the same time, one per track (simultaneous different speech):
  WER of each track's segments against its own source.

Each file goes through the local pipeline (``LocalApp``, ``language=en``, defaults otherwise) with the
package named; prints one Markdown row per (package, source, case): WER against the source's reference,
words, and the share of words put on the track of the speaker who said them (by segment, against the
reference turn under its midpoint; split, bleed and room only).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import dialogues
from bench.metrics import wer
from shared.domain.audio_format import SAMPLE_RATE
from shared.media import load_audio
from tests.fixtures import mediagen
from tests.fixtures.mediagen import AudioTrack

LATE_S = 3.0
GAINS = (1.0, 0.35, 0.6, 0.8)
BLEED = 10 ** (-16 / 20)
BLEED_DELAY_S = 0.004
ROOM_BLEED = 10 ** (-20 / 20)
ROOM_HISS_DB = (-66.0, -50.0, -58.0, -62.0)
ROOM_HOT = 10 ** (12 / 20)

Turns = list[tuple[str, float, float, str]]  # speaker, start, end, text


def source(name: str) -> tuple[np.ndarray, Turns]:
    if name == "pyannote":
        from models.fetch import sample_path
        from tests.fixtures.models import parse_stm

        wav = sample_path()
        return load_audio(wav), [(s.speaker, s.start, s.end, s.text) for s in parse_stm(wav.with_suffix(".stm"))]
    d = dialogues.build(name)
    return d.audio, [(t.speaker, t.start, t.end, t.text) for t in d.turns]


def per_speaker(audio: np.ndarray, turns: Turns) -> tuple[list[str], list[np.ndarray]]:
    speakers = sorted({t[0] for t in turns}, key=lambda s: min(t[1] for t in turns if t[0] == s))
    out = []
    for who in speakers:
        mask = np.zeros(len(audio), bool)
        for sp, a, b, _ in turns:
            if sp == who:
                mask[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] = True
        out.append(np.where(mask, audio, 0.0).astype(np.float32))
    return speakers, out


def delayed(x: np.ndarray, seconds: float) -> np.ndarray:
    n = round(seconds * SAMPLE_RATE)
    return np.concatenate([np.zeros(n, x.dtype), x[: len(x) - n]])


def room_mics(audio: np.ndarray, turns: Turns) -> list[np.ndarray]:
    """One mic per speaker as a room records them (see ``room`` in the module's docstring)."""
    _, voices = per_speaker(audio, turns)
    rng = np.random.default_rng(7)
    mics = []
    for k, own in enumerate(voices):
        x = own.astype(np.float64)
        for j, other in enumerate(voices):
            if j != k:
                x += ROOM_BLEED * delayed(other, (3 + (k + j) % 5) / 1000)
        x *= ROOM_HOT if k == 0 else GAINS[k % len(GAINS)]
        x += 10 ** (ROOM_HISS_DB[k % len(ROOM_HISS_DB)] / 20) * rng.standard_normal(len(x))
        mics.append(np.clip(x, -1.0, 1.0).astype(np.float32))
    return mics


def make(case: str, audio: np.ndarray, turns: Turns, other: np.ndarray | None, out: Path) -> Path:
    if case == "one":
        return mediagen.write_media(out / "one.wav", audio, fmt="wav", codec="pcm_s16le")
    tracks: list[AudioTrack] = []
    if case in ("split", "bleed"):
        _, voices = per_speaker(audio, turns)
        if case == "bleed":
            voices[0] = voices[0] + BLEED * delayed(sum(voices[1:]), BLEED_DELAY_S)
        tracks = [AudioTrack(mediagen.silence(5.0))]
        tracks += [AudioTrack((g * v).astype(np.float32), start_s=LATE_S) for g, v in zip(GAINS, voices, strict=False)]
    elif case == "room":
        tracks = [AudioTrack(mediagen.silence(5.0))] + [AudioTrack(m, start_s=LATE_S) for m in room_mics(audio, turns)]
    elif case == "duplicate":
        tracks = [AudioTrack(audio), AudioTrack(audio)]
    elif case == "overlap":
        assert other is not None
        tracks = [AudioTrack(audio), AudioTrack(other)]
    return mediagen.write_tracks(out / f"{case}.mkv", tracks, fmt="matroska", codec="libopus", rate=48000)


def attributed(segments: list[dict], turns: Turns, speakers: list[str], first_track: int) -> float:
    """Share of words on the track of the speaker whose turn is under the segment's midpoint."""
    right = total = 0
    for s in segments:
        mid = (s["start"] + s["end"]) / 2 - LATE_S
        under = [t for t in turns if t[1] - 0.3 <= mid <= t[2] + 0.3]
        if not under:
            continue
        n = len(s["text"].split())
        total += n
        who = min(under, key=lambda t: abs(mid - (t[1] + t[2]) / 2))[0]
        right += n * (s["track"] == first_track + speakers.index(who))
    return right / total if total else float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.conversation_tracks", description=__doc__.split("\n")[0])
    p.add_argument("--packages", default="int8,fp32")
    p.add_argument("--sources", default="pyannote,dialogue-2,dialogue-3")
    p.add_argument("--cases", default="one,split,bleed,room,duplicate,overlap")
    args = p.parse_args(argv)
    from functions.local.app import LocalApp
    from models.fetch import ensure_default_model, vad_model_path
    from shared.settings import Settings
    from tests.fixtures.pipeline import transcript_of

    names = args.sources.split(",")
    data = {n: source(n) for n in names}
    print(f"load average before: {os.getloadavg()}")
    print("| package | source | case | WER | words | on the speaker's track | tracks in output | wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for package in args.packages.split(","):
        with tempfile.TemporaryDirectory(prefix="toex-bench-conv-") as tmp:
            settings = Settings(mode="local", data_dir=Path(tmp) / "data", vad_model_path=vad_model_path(),
                                whisper_model_dir=ensure_default_model(package), intra_op_threads=1)  # fmt: skip
            app = LocalApp(settings, workers=2)
            for k, name in enumerate(names):
                audio, turns = data[name]
                ref = " ".join(t[3] for t in sorted(turns, key=lambda t: t[1]))
                for case in args.cases.split(","):
                    other = data[names[(k + 1) % len(names)]] if case == "overlap" else None
                    if case == "overlap" and (other is None or len(names) < 2):
                        continue
                    path = make(case, audio, turns, other[0] if other else None, Path(tmp))
                    t0 = time.perf_counter()
                    job = app.run(app.submit(path, {"language": "en", "formats": ["json"]})[0])
                    wall = time.perf_counter() - t0
                    if job.error:
                        raise RuntimeError(f"{name}/{case}: {job.error}")
                    segs = transcript_of(app, job)["segments"]
                    text = " ".join(s["text"] for s in segs)
                    used = sorted({s["track"] for s in segs})
                    if case == "overlap":
                        assert other is not None
                        w1 = wer(ref, " ".join(s["text"] for s in segs if s["track"] == 1))
                        ref2 = " ".join(t[3] for t in sorted(other[1], key=lambda t: t[1]))
                        w2 = wer(ref2, " ".join(s["text"] for s in segs if s["track"] == 2))
                        score, share = f"{w1:.3f} / {w2:.3f}", "-"
                    else:
                        score = f"{wer(ref, text):.3f}"
                        share = "-"
                        if case in ("split", "bleed", "room"):
                            speakers, _ = per_speaker(audio, turns)
                            share = f"{attributed(segs, turns, speakers, 2):.2f}"
                    print(f"| {package} | {name} | {case} | {score} | {len(text.split())} | {share} | {used} | "
                          f"{wall:.0f} |", flush=True)
                    if os.environ.get("TOEX_BENCH_DUMP"):
                        Path(os.environ["TOEX_BENCH_DUMP"], f"{package}-{name}-{case}.json").write_text(
                            json.dumps(segs, indent=1))
                    path.unlink()
            app.close() if hasattr(app, "close") else None
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
