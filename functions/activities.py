"""The pipeline's activities: plain functions over the adapters, one step each.

Each takes and returns a contract of :mod:`functions.contracts` (ids, blob references, counts). Audio
and transcript text travel only through blobs, so nothing of the evidence enters orchestration
history. Errors that a retry cannot fix (undecodable media) come back as :class:`Rejected` data so
the orchestrator fails the job at once; transient failures raise and are retried.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import PurePosixPath as Path
from typing import Any

from functions.contracts import (
    DOCUMENT,
    MEDIA,
    TRANSCRIBE,
    TRANSLATE,
    BatchTranslated,
    ChunksPlanned,
    ChunkTranscribed,
    ErrorInfo,
    JobStarted,
    JobStep,
    MediaProbed,
    MergeTranscript,
    MergeTranslation,
    PlanTranslation,
    Rejected,
    TranscribeChunk,
    TranscriptMerged,
    TranslateBatch,
    TranslationMerged,
    TranslationRoute,
)
from functions.guards import chunk_ref, pinned_source, work_ref
from shared import media
from shared import translation_routes as passages
from shared.domain import Segment, TranscriptionOptions
from shared.job_updates import chunk_done, load_job, mutate_job, set_stage
from shared.merge import ChunkSegments, dominant_language, merge_chunks
from shared.services import get_services

log = logging.getLogger(__name__)


def write_json(ref: str, value: Any) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    get_services().blobs.upload(ref, data, overwrite=True, content_type="application/json")
    return ref


def read_json(ref: str) -> Any:
    return json.loads(get_services().blobs.download(ref))


def transcription_options(job_options: dict[str, Any], task: str = TRANSCRIBE) -> TranscriptionOptions:
    opts = {k: v for k, v in job_options.items() if k not in ("translate_to", "formats")}
    opts["task"] = task
    return TranscriptionOptions.from_dict(opts)


# -- activities -----------------------------------------------------------------------------------
def start_job(p: JobStep) -> JobStarted:
    svc = get_services()
    job = set_stage(svc.jobs, p.force_id, p.job_id, "probing", events=svc.events)
    document = Path(job.source.name).suffix.lower() in svc.settings.document_extensions
    return JobStarted(attempt=job.attempt, kind=DOCUMENT if document else MEDIA)


def probe_media(p: JobStep) -> MediaProbed | Rejected:
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    try:
        with pinned_source(job) as path:
            info = media.probe(path, max_duration_s=svc.settings.max_duration_s)
    except media.MediaError as e:
        return Rejected(error=ErrorInfo(code=f"media.{e.code}", message=e.message))
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
    write_json(work_ref(p, "probe.json"), info.to_dict())
    return MediaProbed(sha256=info.sha256, duration_s=round(info.duration_s, 3), format=info.format_name,
                       tracks=len(info.tracks))


def plan_chunks(p: JobStep) -> ChunksPlanned | Rejected:
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    set_stage(svc.jobs, job.force_id, job.job_id, "planning", events=svc.events)

    def write_chunk(index: int, flac: bytes) -> str:
        ref = chunk_ref(p, index)
        svc.blobs.upload(ref, flac, overwrite=True, content_type="audio/flac")
        return ref

    tracks = [media.Track.from_dict(t) for t in job.summary["tracks"]] if "tracks" in job.summary else None
    try:
        with pinned_source(job) as path:
            plan = media.plan_chunks(
                path, write_chunk, vad_model=svc.vad_model, max_chunk_s=svc.settings.chunk_minutes * 60,
                tracks=tracks, max_duration_s=svc.settings.max_duration_s,
            )  # fmt: skip
    except media.MediaError as e:
        return Rejected(error=ErrorInfo(code=f"media.{e.code}", message=e.message))
    plan_ref = write_json(work_ref(p, "plan.json"), plan.to_dict())
    heard = [{**t.to_dict(), "speech_s": round(t.speech_s, 3), "duration_s": round(t.duration_s, 3)}
             for t in plan.tracks]  # labels and measures only, never content
    mutate_job(svc.jobs, job.force_id, job.job_id, lambda j: j.with_changes(summary={**j.summary, "tracks": heard}))
    set_stage(svc.jobs, job.force_id, job.job_id, "transcribing", events=svc.events,
              chunks_total=len(plan.chunks), chunks_done=0)
    return ChunksPlanned(plan_ref=plan_ref, chunks=len(plan.chunks), speech_s=round(plan.speech_s, 3),
                         tracks=len(plan.tracks), speakers=job.options.get("speakers"))


def transcribe_chunk(p: TranscribeChunk) -> ChunkTranscribed:
    """Whisper over one chunk's speech windows; segments stored on the chunk's own timeline, tagged
    with the chunk's track (a conversation's chunk: with the track owning each segment's words)."""
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    task = p.task
    chunk = media.ChunkPlan.from_dict(read_json(p.plan_ref)).chunks[p.index]
    audio = svc.blobs.download(chunk.ref)
    options = transcription_options(job.options, task)
    if task == TRANSCRIBE and job.options.get("speakers"):  # diarization cuts segments at word times
        options = replace(options, word_timestamps=True)
    asked_words = options.word_timestamps
    # Words needed inside the pipeline only: the translation checks read their probabilities (dropped from
    # the outputs unless asked for); a conversation mixed from several tracks puts each word back on its track.
    if chunk.owners or (task == TRANSCRIBE and job.options.get("translate_to")):
        options = replace(options, word_timestamps=True)
    result = svc.stt.transcribe(audio, list(chunk.windows), options)
    probs = media.speech_probabilities(media.load_audio(audio), svc.vad_model)
    segments, unspoken = media.refuse_unspoken(result.segments, probs)  # text over a click or room tone
    if chunk.owners:
        segments = media.attribute(segments, chunk.owners, keep_words=asked_words)
    else:
        segments = [replace(s, track=chunk.track) for s in segments]
    skipped = sorted([*result.skipped, *unspoken])
    ref = write_json(
        work_ref(p, f"{task}-{chunk.index:05d}.json"),
        {
            "index": chunk.index,
            "offset_s": chunk.start_s,
            "language": result.language,
            "language_probability": result.language_probability,
            "track": chunk.track,
            "segments": [s.to_dict() for s in segments],
            "skipped": [[round(s + chunk.start_s, 3), round(e + chunk.start_s, 3), r] for s, e, r in skipped],
        },
    )
    if task == TRANSCRIBE:
        chunk_done(svc.jobs, job.force_id, job.job_id)
    return ChunkTranscribed(ref=ref, segments=len(segments), language=result.language)


def merge_transcript(p: MergeTranscript) -> TranscriptMerged:
    svc = get_services()
    task = p.task
    parts = [read_json(ref) for ref in p.refs]
    chunks = [
        ChunkSegments(d["index"], d["offset_s"], tuple(Segment.from_dict(s) for s in d["segments"])) for d in parts
    ]
    segments = merge_chunks(chunks)
    fallback = next((d["language"] for d in parts if d["language"]), "und")
    language = dominant_language(segments, fallback)
    probs = [d["language_probability"] for d in parts if d["language"] == language]
    ref = write_json(
        work_ref(p, f"{task}-merged.json"),
        {
            "language": language,
            "language_probability": round(max(probs), 4) if probs else None,
            "segments": [s.to_dict() for s in segments],
            "skipped": sorted(s for d in parts for s in d.get("skipped", [])),
        },
    )
    return TranscriptMerged(ref=ref, segments=len(segments), language=language, model=svc.stt.model_info)


def plan_translation(p: PlanTranslation) -> TranslationRoute:
    """Choose each segment's route (a text model where it supports the language, else Whisper's
    translate task for English) and the parts that fan out; the plan itself goes to a blob."""
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    target, language = job.options.get("translate_to"), p.language
    if not target:
        return TranslationRoute(route=None)
    if language == target:
        return TranslationRoute(route=None, reason=f"speech is already in {target}")
    translator = svc.translator
    supports = translator.supports if translator is not None else None
    segments = read_json(p.merged_ref)["segments"]
    routes = [passages.route_of(s["language"], target, supports) for s in segments]
    main = passages.route_of(language, target, supports)
    if main is None and not any(routes):
        return TranslationRoute(route=None, reason=f"no configured model translates {language} into {target}")
    text_model = translator is not None and passages.TEXT_MODEL in (main, *routes)
    route = passages.TEXT_MODEL if text_model else passages.WHISPER_TRANSLATE
    model = svc.stt.model_info
    if text_model and translator is not None:
        text_language = language if main == passages.TEXT_MODEL else next(
            s["language"] for s, r in zip(segments, routes, strict=True) if r == passages.TEXT_MODEL)
        model_for = getattr(translator, "model_for", None)  # a set of local packages: the one for this pair
        model = model_for(text_language, target) if model_for else translator.model_info
    chunks = read_json(p.plan_ref)["chunks"] if passages.WHISPER_TRANSLATE in routes else []
    parts = passages.plan_parts(segments, routes, chunks)
    plan_ref = write_json(work_ref(p, "translation-plan.json"), {
        "target": target, "route": route, "model": model, "merged_ref": p.merged_ref,
        "plan_ref": p.plan_ref, "parts": parts, "untranslatable": passages.no_route(segments, routes, target),
    })
    return TranslationRoute(route=route, target=target, model=model, translation_plan_ref=plan_ref,
                            parts=len(parts))


def translate_batch(p: TranslateBatch) -> BatchTranslated:
    """One part of the plan: a text-model batch or one chunk's Whisper windows; every passage checked."""
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    plan = read_json(p.translation_plan_ref)
    part = plan["parts"][p.part]
    segments = read_json(plan["merged_ref"])["segments"]
    options = transcription_options(job.options, TRANSLATE)
    if part["route"] == passages.TEXT_MODEL:
        translator = svc.translator
        if translator is None:
            raise RuntimeError("translation model disappeared between planning and translating")
        texts = translator.translate([segments[i]["text"] for i in part["ids"]], part["language"], plan["target"])
        out = passages.text_outcomes(segments, part["ids"], texts, part["language"], options)
        shown = [o["source_id"] - 1 for o in out if o["reason"] is None]
        if shown and plan["target"] == "en":  # Whisper's own reading of the audio must agree
            chunks = media.ChunkPlan.from_dict(read_json(plan["plan_ref"])).chunks
            views = passages.whisper_views(
                segments, shown, [c.to_dict() for c in chunks],
                lambda k, windows, opts: svc.stt.transcribe(svc.blobs.download(chunks[k].ref), windows, opts),
                _whisper_options(options, part["language"]))
            out = passages.corroborate(out, views)
    else:
        chunk = media.ChunkPlan.from_dict(read_json(plan["plan_ref"])).chunks[part["chunk"]]
        audio = svc.blobs.download(chunk.ref)
        options = _whisper_options(options, part["language"])
        out = passages.whisper_outcomes(
            segments, part["ids"], chunk.start_s, chunk.end_s - chunk.start_s,
            lambda windows, opts: svc.stt.transcribe(audio, windows, opts), options)
    ref = write_json(work_ref(p, f"translation-{p.part:05d}.json"), out)
    return BatchTranslated(ref=ref, passages=len(out), withheld=sum(1 for o in out if o["reason"]))


def _whisper_options(options: TranscriptionOptions, language: str) -> TranscriptionOptions:
    return TranscriptionOptions.from_dict({**options.to_dict(), "language": language,
                                           "word_timestamps": False})  # a passage is timed by its segments


def merge_translation(p: MergeTranslation) -> TranslationMerged:
    """One translation document: shown passages beside their segments, withheld ones with the reason."""
    plan = read_json(p.translation_plan_ref)
    outcomes = [o for ref in p.refs for o in read_json(ref)] + plan["untranslatable"]
    doc = passages.translation_document(plan["target"], plan["route"], plan["model"], outcomes)
    ref = write_json(work_ref(p, "translation.json"), doc)
    return TranslationMerged(ref=ref, segments=len(doc["segments"]), skipped=len(doc["skipped"]))
