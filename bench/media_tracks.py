"""What searching every audio track costs: probe and plan time and peak memory on long recordings.

    python -m bench.media_tracks [--minutes 30] [--cases mono,two_tracks,stereo_split]

Each case is generated once (real speech from the pyannote sample, separated by near-silent pauses,
streamed block by block) and then probed and planned in a fresh child process, so peak RSS
(VmHWM) is that of the media step alone. The probe decodes every audio stream (truncation and the
duration limit are judged on decoded samples) and plan_chunks, with the probe's tracks as the pipeline
does, decodes each track once for the VAD and each group of tracks with speech once more for its chunks.
Prints one Markdown row per case.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from models.fetch import vad_model_path
from tests.fixtures import mediagen

SR = 16000
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from shared.media import plan_chunks, probe
path, vad = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
info = probe(path)
t1 = time.perf_counter()
plan = plan_chunks(path, lambda i, flac: f"chunk-{i}", vad_model=vad, tracks=info.tracks)
t2 = time.perf_counter()
hwm_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"probe_s": t1 - t0, "plan_s": t2 - t1, "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime,
                  "peak_mb": hwm_kb / 1024, "duration_s": info.duration_s, "tracks": [t.label for t in info.tracks],
                  "chunks": len(plan.chunks), "speech_s": [round(t.speech_s, 1) for t in plan.tracks]}))
"""


def make_case(name: str, seconds: float, out: Path) -> Path:
    if name == "mono":
        return mediagen.write_media(out / "mono.m4a", mediagen.speech_then_quiet(seconds, quiet_s=40), fmt="ipod",
                                    codec="aac", rate=SR, bit_rate=24000)
    audio = np.concatenate(list(mediagen.speech_then_quiet(seconds, quiet_s=40)))
    if name == "two_tracks":
        tracks = [mediagen.AudioTrack(np.zeros(len(audio) // 2, np.float32)), mediagen.AudioTrack(audio)]
        return mediagen.write_tracks(out / "two.mkv", tracks, fmt="matroska", codec="libopus", rate=48000)
    if name == "stereo_split":
        half = len(audio) // 2  # a voice per channel: the left mic's speaker, then the right one's
        left = np.concatenate([audio[:half], np.zeros(len(audio) - half, np.float32)])
        right = np.concatenate([np.zeros(half, np.float32), audio[half:]])
        track = mediagen.AudioTrack(np.stack([left, 0.1 * left + right]))
        return mediagen.write_tracks(out / "stereo.m4a", [track], fmt="ipod", codec="aac", rate=44100)
    raise ValueError(name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.media_tracks", description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--cases", default="mono,two_tracks,stereo_split")
    args = p.parse_args(argv)
    vad = vad_model_path()
    print(f"load average before: {os.getloadavg()}")
    print("| case | audio min | tracks | probe s | plan s | CPU s | peak RSS MB | chunks | speech s per track |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="toex-bench-media-") as tmp:
        for name in args.cases.split(","):
            path = make_case(name, args.minutes * 60, Path(tmp))
            out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(vad)], capture_output=True, text=True,
                                 check=True, cwd=root)  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {name} | {r['duration_s'] / 60:.1f} | {len(r['tracks'])} | {r['probe_s']:.1f} | "
                  f"{r['plan_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:.0f} | {r['chunks']} | {r['speech_s']} |")
            path.unlink()
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
