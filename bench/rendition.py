"""What the page's audio rendition costs: encode speed and size on a long multi-track recording.

    python -m bench.rendition [--minutes 20]

Writes a Matroska file with two FLAC tracks of real speech (the second starting 30 s late, as a second
microphone does) and a small video stream, then times ``shared.media.rendition.write_rendition`` (decode
both tracks on the container timeline at 48 kHz, mix, AAC-LC 96 kbit/s in M4A) and checks the rendition's
probed duration against the original's. Prints one JSON line; the load average is part of it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from shared.media import probe
from shared.media.rendition import audio_streams, write_rendition
from tests.fixtures import mediagen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    args = ap.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="toex-rendition-bench-") as tmp:
        tracks = [mediagen.AudioTrack(mediagen.speech(seconds)),
                  mediagen.AudioTrack(mediagen.speech(seconds - 30), start_s=30)]
        src = mediagen.write_tracks(Path(tmp) / "two-mics.mkv", tracks, fmt="matroska", codec="flac", rate=16000,
                                    video_s=60)
        info = probe(src).to_dict()
        t = time.perf_counter()
        out = write_rendition(src, Path(tmp) / "r.m4a", audio_streams(info))
        took = time.perf_counter() - t
        played = probe(Path(tmp) / "r.m4a").duration_s
    print(json.dumps({
        "recording_s": info["duration_s"], "tracks": len(out.streams), "encode_s": round(took, 2),
        "x_realtime": round(info["duration_s"] / took, 1), "rendition_mb": round(out.size_bytes / 2**20, 2),
        "mb_per_hour": round(out.size_bytes / 2**20 * 3600 / info["duration_s"], 1),
        "duration_error_s": round(played - info["duration_s"], 3), "load": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
