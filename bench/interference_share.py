"""Where ``shared.diarization.interference``'s threshold sits: ``low_share`` (power below 120 Hz / all
power) of clean speech, telephone-band speech, low-pitched male voices, and of speech under mains hum
and DC offsets of several levels.

    python -m bench.interference_share [--files sample,dialogue-2,dialogue-3,dialogue-4] [--json OUT]

Files as ``bench.vad_heard`` (``sample``: pyannote's real sample; other names: ``bench.dialogues``
scripts voiced by espeak-ng), at half level like its copies. ``telephone``: ``dialogues.telephone``
(300-3400 Hz band, white noise at 25 dB SNR, mu-law). ``low male``: one sentence by espeak-ng male voices at
pitch 0-20 (the lowest it makes). Hum: 50 Hz (or 60 Hz) sine at the given peak dBFS
plus its third harmonic 20 dB below; DC: a constant offset. Speech is heard as it is below
``LOW_SHARE``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from bench import dialogues
from bench.vad_heard import source
from shared.diarization.interference import LOW_SHARE, low_share

SR = 16000
LOW_MALES = [dialogues.Voice("en-us+m1", 0, 150), dialogues.Voice("en-gb+m3", 10, 150),
             dialogues.Voice("en-gb-x-rp+m7", 20, 150), dialogues.Voice("en-gb-scotland+m6", 0, 150)]
SENTENCE = "I was at home all evening and I never went near the car park on Tuesday night."


def hum(n: int, dbfs: float, hz: float = 50.0) -> np.ndarray:
    t = np.arange(n) / SR
    a = 10 ** (dbfs / 20)
    return a * np.sin(2 * np.pi * hz * t) + a / 10 * np.sin(2 * np.pi * 3 * hz * t)


def rows_for(name: str, audio: np.ndarray) -> dict[str, float]:
    half = 0.5 * audio
    out = {"clean": low_share(half), "telephone": low_share(0.5 * dialogues.telephone(audio))}
    for db in (-10, -20, -30, -40):
        out[f"hum50 {db} dBFS"] = low_share(half + hum(len(half), db))
    out["hum60 -20 dBFS"] = low_share(half + hum(len(half), -20, 60.0))
    for dc in (0.3, 0.1, 0.03):
        out[f"dc {dc}"] = low_share(half + dc)
    return {k: round(v, 5) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", default="sample,dialogue-2,dialogue-3,dialogue-4")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result: dict[str, object] = {"LOW_SHARE": LOW_SHARE}
    for name in args.files.split(","):
        result[name] = rows_for(name, source(name)[0])
        print(name, json.dumps(result[name]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        low = {f"{v.voice} p{v.pitch}": round(low_share(0.5 * dialogues.synthesise(SENTENCE, v, Path(tmp))), 5)
               for v in LOW_MALES}
    result["low male"] = low
    print("low male", json.dumps(low))
    print(f"load average at the end: {[round(v, 2) for v in os.getloadavg()]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
