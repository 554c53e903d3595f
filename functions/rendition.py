"""The player's audio: one activity, beside the transcription fan-out, that decides how the page plays the media.

``render_audio`` reads the probe (``work/<job>/a<n>/probe.json``), asks :func:`shared.media.rendition.browser_plays`
whether every browser plays the original, and when not writes an AAC/M4A rendition of its audio to
``outputs/<force>/<job>/a<n>/<stem>.playback.m4a`` (:func:`shared.blob_layout.rendition_ref`), once.

Invariants: the original is only read (pinned to its version and digest); only the blob reference, its
SHA-256, size and duration come back through orchestration history; a file the rendition cannot be made
from leaves the job a transcript (``playback.rendition`` is None, with the reason), never a failed job.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from functions.activities import read_json
from functions.contracts import AudioRendered, JobStep
from functions.guards import pinned_source, work_ref
from shared import media
from shared.adapters.base import BlobExists, BlobNotFound
from shared.blob_layout import rendition_ref
from shared.job_updates import load_job
from shared.media import rendition
from shared.services import get_services


def render_audio(p: JobStep) -> AudioRendered:
    """``playback``: ``{playable_original, reason, rendition: {ref, sha256, size_bytes, duration_s,
    content_type, streams} | None}``."""
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    probe = read_json(work_ref(p, "probe.json"))
    verdict = rendition.browser_plays(probe)
    if verdict.playable:
        return AudioRendered(playback={"playable_original": True, "reason": None, "rendition": None})
    ref = rendition_ref(job.force_id, job.job_id, job.attempt, job.source.name)
    made = _already_made(ref)
    if made is None:
        try:
            made = _make(job, ref, rendition.audio_streams(probe), svc.settings.max_duration_s,
                         rendition.stream_channels(probe))  # fmt: skip
        except media.MediaError as e:  # the transcript stands; the page says the browser cannot play it
            return AudioRendered(playback={"playable_original": False, "reason": verdict.reason, "rendition": None,
                                           "rendition_error": f"media.{e.code}"})
    return AudioRendered(playback={"playable_original": False, "reason": verdict.reason, "rendition": made})


def _already_made(ref: str) -> dict[str, Any] | None:
    """A retried activity: the write-once rendition is there, described by its own metadata."""
    try:
        meta = get_services().blobs.properties(ref).metadata
    except BlobNotFound:
        return None
    if "sha256" not in meta:
        return None
    return {"ref": ref, "sha256": meta["sha256"], "size_bytes": int(meta.get("size_bytes", 0)),
            "duration_s": float(meta.get("duration_s", 0)), "content_type": rendition.CONTENT_TYPE,
            "streams": [int(s) for s in meta.get("streams", "").split() if s.isdigit()]}


def _make(job: Any, ref: str, streams: tuple[int, ...], max_duration_s: float | None,
          channels: dict[int, int]) -> dict[str, Any]:  # fmt: skip
    blobs = get_services().blobs
    with pinned_source(job) as path, tempfile.TemporaryDirectory(prefix="toex-rendition-") as tmp:
        out = Path(tmp) / f"playback{rendition.SUFFIX}"
        info = rendition.write_rendition(path, out, streams, max_duration_s=max_duration_s, channels=channels)
        meta = {"job_id": job.job_id, "sha256": info.sha256, "size_bytes": str(info.size_bytes),
                "duration_s": str(info.duration_s), "streams": " ".join(map(str, info.streams))}
        try:
            with open(out, "rb") as f:  # streamed: a rendition of hours is never held in memory
                blobs.upload(ref, f, content_type=rendition.CONTENT_TYPE, metadata=meta)
        except BlobExists:  # written meanwhile by a twin of this activity: results are write-once
            if (there := _already_made(ref)) is not None:
                return there
            raise
    return {"ref": ref, "sha256": info.sha256, "size_bytes": info.size_bytes, "duration_s": info.duration_s,
            "content_type": rendition.CONTENT_TYPE, "streams": list(info.streams)}
