"""Where everything lives in the evidence account: the one place blob references are built.

* ``incoming/<force>/<any path>/<file>``: uploads, never altered (per-force write access by prefix);
* ``chunks/<job>/a<attempt>/<index:05d>.flac``: an attempt's 16 kHz FLAC chunks;
* ``work/<job>/a<attempt>/<name>``: an attempt's intermediate JSON (plan, per-chunk segments, merges);
* ``outputs/<force>/<job>/a<attempt>/<file>``: the results, written once; beside them
  ``<stem>.playback.m4a``, the audio rendition the page plays when a browser cannot play the original.

Two attempts of one job never share a file. The container names come from ``containers.json``, the one
list the Bicep reads too (tests/infra/test_containers.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CONTAINERS: dict[str, object] = json.loads((Path(__file__).with_name("containers.json")).read_text(encoding="utf-8"))
INCOMING, CHUNKS, WORK, OUTPUTS = (str(CONTAINERS[k]) for k in ("incoming", "chunks", "work", "outputs"))


def attempt_dir(job_id: str, attempt: int | None) -> str:
    """``<job>/a<attempt>`` (an attempt-less payload of an old orchestration: attempt 1)."""
    return f"{job_id}/a{attempt or 1}"


def work_ref(job_id: str, attempt: int | None, name: str) -> str:
    return f"{WORK}/{attempt_dir(job_id, attempt)}/{name}"


def chunk_ref(job_id: str, attempt: int | None, index: int) -> str:
    return f"{CHUNKS}/{attempt_dir(job_id, attempt)}/{index:05d}.flac"


def output_ref(force_id: str, job_id: str, attempt: int, name: str) -> str:
    return f"{OUTPUTS}/{force_id}/{attempt_dir(job_id, attempt)}/{name}"


def rendition_ref(force_id: str, job_id: str, attempt: int, source_name: str) -> str:
    """``outputs/<force>/<job>/a<attempt>/<stem>.playback.m4a`` (unsafe characters of the stem become ``_``)."""
    stem = re.sub(r"[^\w.-]", "_", source_name.rsplit(".", 1)[0]).strip("._") or "recording"
    return output_ref(force_id, job_id, attempt, f"{stem}.playback.m4a")
