"""The closing activities: render the outputs, persist the job's results, notify, or fail the job."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from typing import Any

from functions.activities import read_json, transcription_options
from functions.contracts import DOCUMENT, FailJob, JobStep, PersistResults, Rendered, RenderOutputs
from functions.diarize import is_diarized
from functions.guards import if_current
from functions.intake import record_options
from functions.renaming import SUMMARY_KEY
from shared.adapters.base import BlobExists
from shared.blob_layout import output_ref
from shared.diarization.pipeline import transcript_fields
from shared.domain import Job, JobError, JobStatus, Notification, Segment
from shared.domain.job import utc_now
from shared.job_updates import EVENT_COMPLETED, EVENT_FAILED, load_job, mutate_job, publish, set_stage
from shared.outputs.formats import FORMATS, content_type, file_name, render
from shared.outputs.overlay import dumps_overlay, new_overlay, set_record
from shared.outputs.transcript import build_transcript, dumps_transcript
from shared.services import Services, get_services

SUBMISSION_OVERLAY = "names/v1-submission/overlay.json"  # beside the outputs; a rename's are names/v<k>-<nonce>/


def render_outputs(p: RenderOutputs) -> Rendered:
    """transcript.json and every requested format, written once to the outputs container.

    With a case reference, exhibit reference or persons present given at submission, the names
    overlay's first version holds them (:func:`submission_overlay`) and the other formats are rendered
    with it; transcript.json is the machine's output either way (the same bytes). The summary carries
    the overlay's reference only, never the names (it passes through orchestration history)."""
    svc = get_services()
    job = load_job(svc.jobs, p.force_id, p.job_id)
    set_stage(svc.jobs, job.force_id, job.job_id, "rendering", events=svc.events)
    merged = read_json(p.merged_ref)
    translation = read_json(p.translation_ref) if p.translation_ref else None
    if is_diarized(merged):
        segments, labels, diarization = transcript_fields(merged)
        speakers = labels if diarization is not None else None  # no voice anywhere: nothing to label
    else:
        segments, speakers, diarization = [Segment.from_dict(s) for s in merged["segments"]], None, None
        if not job.options.get("word_timestamps"):  # words made for the translation checks only
            segments = [replace(s, words=None) for s in segments]
    params = {
        **transcription_options(job.options).to_dict(),
        "translate_to": job.options.get("translate_to"),
        "chunk_minutes": svc.settings.chunk_minutes,
    }
    transcript = build_transcript(
        job_id=job.job_id,
        source={
            "name": job.source.name,
            "sha256": job.source.sha256,
            "duration_s": p.duration_s,
            "size_bytes": job.source.size_bytes,
            "format": p.format,
        },
        language=merged["language"],
        language_probability=merged.get("language_probability"),
        segments=segments,
        translation=translation,
        model=p.model,
        params=params,
        created_at=job.created_at,
        skipped=merged.get("skipped", []),
        speech_s=p.speech_s,
        tracks=job.summary.get("tracks", ()),
        speakers=speakers,
        diarization=diarization,
    )
    stem = job.source.name.rsplit(".", 1)[0] or "transcript"
    formats = [f for f in FORMATS if f in (job.options.get("formats") or FORMATS)]
    outputs: dict[str, str] = {}
    machine = dumps_transcript(transcript)
    overlay, held = submission_overlay(svc, job, machine)
    for fmt in ("json", *[f for f in formats if f != "json"]):
        data = machine if fmt == "json" else render(transcript, fmt, overlay=overlay)  # type: ignore[arg-type]
        name = "transcript.json" if fmt == "json" else file_name(stem, fmt)
        ref = output_ref(job.force_id, job.job_id, job.attempt, name)
        with suppress(BlobExists):  # a retried activity: results are write-once and already there
            svc.blobs.upload(ref, data, content_type=content_type(fmt), metadata={"job_id": job.job_id})
        outputs[fmt] = ref
    summary = {
        "language": transcript["language"],
        "segments": len(transcript["segments"]),
        "skipped": len(transcript["skipped"]),
        "speech_s": transcript["speech_s"],
        "duration_s": transcript["source"]["duration_s"],
        "translation": None
        if translation is None
        else {"language": translation["language"], "route": translation["route"]},
        "model": transcript["model"],
        **({SUMMARY_KEY: held} if held else {}),
    }
    return Rendered(outputs=outputs, summary=summary)


def submission_overlay(svc: Services, job: Job, transcript_bytes: bytes) -> tuple[dict[str, Any] | None,
                                                                               dict[str, Any] | None]:
    """The names overlay's version 1 with the record details the job was submitted with (by its
    submitter, at its creation time, so a retried activity makes the same bytes), written once beside
    the outputs; and what the job summary records of it (``renaming.SUMMARY_KEY``: attempt, version,
    ref), so a later rename builds on it. ``(None, None)`` when none was given."""
    try:  # every intake checked them; a host that submits unchecked options gets the same reason
        given = record_options(job.options)
    except ValueError as e:
        raise ValueError(f"intake.bad_options: {e}") from None  # the orchestrator's code: message form
    if not given:
        return None, None
    by = " ".join((job.submitted_by or "").split())[:80] or "submission"
    overlay = set_record(new_overlay(transcript_bytes), by=by, at=job.created_at, **given)
    ref = output_ref(job.force_id, job.job_id, job.attempt, SUBMISSION_OVERLAY)
    with suppress(BlobExists):  # write-once; a retry writes the same bytes
        svc.blobs.upload(ref, dumps_overlay(overlay), content_type="application/json", metadata={"job_id": job.job_id})
    return overlay, {"attempt": job.attempt, "version": overlay["version"], "ref": ref}


def persist_results(p: PersistResults) -> None:
    """Record outputs and summary on the job; the transcript itself stays in blob storage."""
    svc = get_services()
    set_stage(svc.jobs, p.force_id, p.job_id, "storing")
    summary = {**p.summary, **({"notes": list(p.notes)} if p.notes else {})}
    mutate_job(
        svc.jobs,
        p.force_id,
        p.job_id,
        lambda j: j.with_changes(outputs=dict(p.outputs), summary={**j.summary, **summary}),
    )


def notify_completed(p: JobStep) -> None:
    """Mark the job succeeded and tell force IT; a retry after a failed publish only publishes again.
    Nothing happens for a cancelled, failed or stale attempt (:mod:`functions.guards`)."""
    svc = get_services()
    job = mutate_job(
        svc.jobs,
        p.force_id,
        p.job_id,
        if_current(p, lambda j: j.with_changes(
            status=JobStatus.SUCCEEDED,
            progress=type(j.progress)("done", j.progress.chunks_total, j.progress.chunks_total),
        )),
    )
    if job.status is not JobStatus.SUCCEEDED or job.attempt != (p.attempt or job.attempt):
        return
    what = "Translation" if job.summary.get("kind") == DOCUMENT else "Transcript"
    _notify(job, "completed", f"{what} of {job.source.name} is ready.", links=job.outputs)
    publish(
        svc.events,
        EVENT_COMPLETED,
        job,
        strict=True,
        outputs=job.outputs,  # blob references only: read links come from GET /jobs/{id}/results, per force
        summary=job.summary,
    )


def fail_job(p: FailJob) -> None:
    """Mark the job failed with its reason; the original is untouched and the job can be retried."""
    svc = get_services()
    error = JobError(code=p.error.code, message=p.error.message)
    if error.code == "job.stale":
        return  # the activity refused to work for a finished job or an old attempt: nothing to record
    job = mutate_job(
        svc.jobs, p.force_id, p.job_id,
        if_current(p, lambda j: j.with_changes(status=JobStatus.FAILED, error=error)),
    )
    if job.status is not JobStatus.FAILED or job.error != error:
        return  # cancelled, finished or retried meanwhile: the record is not this attempt's to change
    _notify(job, "failed", f"{job.source.name} could not be processed: {error.message}")
    publish(svc.events, EVENT_FAILED, job, strict=True, error={"code": error.code, "message": error.message})


def _notify(job: Job, kind: str, message: str, links: dict[str, str] | None = None) -> None:
    """A notification for the officer who submitted the job (names and blob references, no content)."""
    get_services().jobs.add_notification(Notification(
        force_id=job.force_id, job_id=job.job_id, kind=kind, recipient=job.submitted_by, message=message,
        links=links or {}, created_at=utc_now()))
