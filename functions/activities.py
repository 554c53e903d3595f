"""The pipeline's activities: plain functions over the adapters, one step each.

Each takes and returns small JSON-able dicts (ids, blob references, counts). Audio and transcript
text travel only through blobs, so nothing of the evidence enters orchestration history. Errors
that a retry cannot fix (undecodable media) come back as ``{"error": {...}}`` data so the
orchestrator fails the job at once; transient failures raise and are retried.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from shared import media
from shared.domain import Segment, TranscriptionOptions
from shared.job_updates import chunk_done, load_job, mutate_job, set_stage
from shared.merge import ChunkSegments, batches, dominant_language, merge_chunks
from shared.services import CHUNKS, WORK, get_services

log = logging.getLogger(__name__)

TRANSLATION_BATCH = 32


def _work(job_id: str, name: str) -> str:
    return f"{WORK}/{job_id}/{name}"


def write_json(ref: str, value: Any) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    get_services().blobs.upload(ref, data, overwrite=True, content_type="application/json")
    return ref


def read_json(ref: str) -> Any:
    return json.loads(get_services().blobs.download(ref))


@contextmanager
def _source_file(ref: str) -> Iterator[Path]:
    """The original as a local file: read in place where possible, else streamed to a temp file."""
    blobs = get_services().blobs
    local = getattr(blobs, "local_path", None)
    if local is not None:
        yield local(ref)
        return
    with tempfile.TemporaryDirectory(prefix="toex-src-") as tmp:
        path = Path(tmp) / "source"
        blobs.download_to_file(ref, path)
        yield path


def transcription_options(job_options: dict[str, Any], task: str = "transcribe") -> TranscriptionOptions:
    opts = {k: v for k, v in job_options.items() if k not in ("translate_to", "formats")}
    opts["task"] = task
    return TranscriptionOptions.from_dict(opts)


# -- activities -----------------------------------------------------------------------------------
def start_job(p: dict[str, Any]) -> dict[str, Any]:
    svc = get_services()
    job = set_stage(svc.jobs, p["force_id"], p["job_id"], "probing", events=svc.events)
    return {"attempt": job.attempt}


def probe_media(p: dict[str, Any]) -> dict[str, Any]:
    svc = get_services()
    job = load_job(svc.jobs, p["force_id"], p["job_id"])
    try:
        with _source_file(job.source.ref) as path:
            info = media.probe(path, max_duration_s=svc.settings.max_duration_s)
    except media.MediaError as e:
        return {"error": {"code": f"media.{e.code}", "message": e.message}}
    source = dict(job.source.__dict__, sha256=info.sha256, size_bytes=info.size_bytes)
    mutate_job(
        svc.jobs,
        job.force_id,
        job.job_id,
        lambda j: j.with_changes(
            source=type(j.source)(**source),
            summary={**j.summary, "duration_s": round(info.duration_s, 3), "format": info.format_name,
                     "tracks": [t.to_dict() for t in info.tracks]},
        ),
    )
    write_json(_work(job.job_id, "probe.json"), info.to_dict())
    return {"sha256": info.sha256, "duration_s": round(info.duration_s, 3), "format": info.format_name,
            "tracks": len(info.tracks)}


def plan_chunks(p: dict[str, Any]) -> dict[str, Any]:
    svc = get_services()
    job = load_job(svc.jobs, p["force_id"], p["job_id"])
    set_stage(svc.jobs, job.force_id, job.job_id, "planning", events=svc.events)

    def write_chunk(index: int, flac: bytes) -> str:
        ref = f"{CHUNKS}/{job.job_id}/{index:05d}.flac"
        svc.blobs.upload(ref, flac, overwrite=True, content_type="audio/flac")
        return ref

    tracks = [media.Track.from_dict(t) for t in job.summary["tracks"]] if "tracks" in job.summary else None
    try:
        with _source_file(job.source.ref) as path:
            plan = media.plan_chunks(
                path, write_chunk, vad_model=svc.vad_model, max_chunk_s=svc.settings.chunk_minutes * 60,
                tracks=tracks, max_duration_s=svc.settings.max_duration_s,
            )  # fmt: skip
    except media.MediaError as e:
        return {"error": {"code": f"media.{e.code}", "message": e.message}}
    plan_ref = write_json(_work(job.job_id, "plan.json"), plan.to_dict())
    heard = [{**t.to_dict(), "speech_s": round(t.speech_s, 3), "duration_s": round(t.duration_s, 3)}
             for t in plan.tracks]  # labels and measures only, never content
    mutate_job(svc.jobs, job.force_id, job.job_id, lambda j: j.with_changes(summary={**j.summary, "tracks": heard}))
    set_stage(svc.jobs, job.force_id, job.job_id, "transcribing", events=svc.events,
              chunks_total=len(plan.chunks), chunks_done=0)
    return {"plan_ref": plan_ref, "chunks": len(plan.chunks), "speech_s": round(plan.speech_s, 3),
            "tracks": len(plan.tracks)}


def transcribe_chunk(p: dict[str, Any]) -> dict[str, Any]:
    """Whisper over one chunk's speech windows; segments stored on the chunk's own timeline, tagged
    with the chunk's track."""
    svc = get_services()
    job = load_job(svc.jobs, p["force_id"], p["job_id"])
    task = p.get("task", "transcribe")
    chunk = media.ChunkPlan.from_dict(read_json(p["plan_ref"])).chunks[p["index"]]
    audio = svc.blobs.download(chunk.ref)
    result = svc.stt.transcribe(audio, [tuple(w) for w in chunk.windows], transcription_options(job.options, task))
    ref = write_json(
        _work(job.job_id, f"{task}-{chunk.index:05d}.json"),
        {
            "index": chunk.index,
            "offset_s": chunk.start_s,
            "language": result.language,
            "language_probability": result.language_probability,
            "track": chunk.track,
            "segments": [replace(s, track=chunk.track).to_dict() for s in result.segments],
            "skipped": [[round(s + chunk.start_s, 3), round(e + chunk.start_s, 3), r] for s, e, r in result.skipped],
        },
    )
    if task == "transcribe":
        chunk_done(svc.jobs, job.force_id, job.job_id)
    return {"ref": ref, "segments": len(result.segments), "language": result.language}


def merge_transcript(p: dict[str, Any]) -> dict[str, Any]:
    svc = get_services()
    job_id, task = p["job_id"], p.get("task", "transcribe")
    parts = [read_json(ref) for ref in p["refs"]]
    chunks = [
        ChunkSegments(d["index"], d["offset_s"], tuple(Segment.from_dict(s) for s in d["segments"])) for d in parts
    ]
    segments = merge_chunks(chunks)
    fallback = p.get("language") or next((d["language"] for d in parts if d["language"]), "und")
    language = dominant_language(segments, fallback)
    probs = [d["language_probability"] for d in parts if d["language"] == language]
    ref = write_json(
        _work(job_id, f"{task}-merged.json"),
        {
            "language": language,
            "language_probability": round(max(probs), 4) if probs else None,
            "segments": [s.to_dict() for s in segments],
            "skipped": sorted(s for d in parts for s in d.get("skipped", [])),
        },
    )
    return {"ref": ref, "segments": len(segments), "language": language, "model": svc.stt.model_info}


def plan_translation(p: dict[str, Any]) -> dict[str, Any]:
    """Choose the translation route, recorded in the output: text model, Whisper translate or none."""
    svc = get_services()
    job = load_job(svc.jobs, p["force_id"], p["job_id"])
    target, language = job.options.get("translate_to"), p["language"]
    if not target:
        return {"route": None}
    if language == target:
        return {"route": None, "reason": f"speech is already in {target}"}
    translator = svc.translator
    if translator is not None and translator.supports(language, target):
        return {
            "route": "text-model",
            "target": target,
            "model": translator.model_info,
            "batches": batches(p["segments"], TRANSLATION_BATCH),
        }
    if target == "en":
        return {"route": "whisper-translate", "target": target, "model": svc.stt.model_info}
    return {"route": None, "reason": f"no configured model translates {language} into {target}"}


def translate_batch(p: dict[str, Any]) -> dict[str, Any]:
    svc = get_services()
    translator = svc.translator
    if translator is None:
        raise RuntimeError("translation model disappeared between planning and translating")
    start, end = p["range"]
    merged = read_json(p["merged_ref"])
    segments = merged["segments"][start:end]
    texts = translator.translate([s["text"] for s in segments], p["language"], p["target"])
    out = [
        {"start": s["start"], "end": s["end"], "text": t, "source_id": start + i + 1}
        for i, (s, t) in enumerate(zip(segments, texts, strict=True))
    ]
    ref = write_json(_work(p["job_id"], f"translation-{start:06d}.json"), out)
    return {"ref": ref, "segments": len(out)}


def merge_translation(p: dict[str, Any]) -> dict[str, Any]:
    """One translation document from batch results or from Whisper's translate-task transcript."""
    if p["route"] == "text-model":
        segments = [s for ref in p["refs"] for s in read_json(ref)]
    else:
        segments = [
            {"start": s["start"], "end": s["end"], "text": s["text"]} for s in read_json(p["merged_ref"])["segments"]
        ]
    ref = write_json(
        _work(p["job_id"], "translation.json"),
        {"language": p["target"], "route": p["route"], "model": p["model"], "segments": segments},
    )
    return {"ref": ref, "segments": len(segments)}
