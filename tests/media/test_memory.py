"""Memory stays bounded: a 2-hour recording streams through plan_chunks under 512 MB peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import mediagen

SR = 16000
HOURS = 2.0
LIMIT_MB = 512

CHILD = r"""
import json, resource, sys
from pathlib import Path
from shared.media import plan_chunks
sizes = []
def write_chunk(i, flac):
    sizes.append(len(flac))
    return f"chunk-{i}"
plan = plan_chunks(Path(sys.argv[1]), write_chunk, vad_model=Path(sys.argv[2]))
# VmHWM is this process's own peak; ru_maxrss keeps the parent's high-water mark across fork + exec
hwm_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({
    "peak_mb": hwm_kb / 1024,
    "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime,
    "chunks": len(plan.chunks), "duration_s": plan.duration_s, "speech_s": plan.speech_s,
    "max_flac": max(sizes),
}))
"""


@pytest.mark.slow
def test_two_hours_stream_under_512mb(tmp_path: Path, vad_model_path: Path):
    path = mediagen.write_media(
        tmp_path / "interview.m4a", mediagen.speech_then_quiet(HOURS * 3600, quiet_s=120), fmt="ipod", codec="aac",
        rate=SR, bit_rate=24000,
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(vad_model_path)],
        capture_output=True, text=True, timeout=600, check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n2 h media step: peak RSS {r['peak_mb']:.0f} MB, CPU {r['cpu_s']:.1f} s, {r['chunks']} chunks")
    assert r["peak_mb"] < LIMIT_MB
    assert r["duration_s"] == pytest.approx(HOURS * 3600, abs=0.1)
    cycles = HOURS * 3600 / (len(mediagen.load_sample()) / SR - 6.5 + 120)
    assert r["chunks"] >= int(cycles)  # every speech block found, each alone in its chunk
    assert r["max_flac"] < 2 * 60 * SR  # each chunk is short speech, not the whole recording
