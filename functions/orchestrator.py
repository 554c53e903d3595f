"""The pipeline's table of contents: one Durable orchestration per evidence file.

ingest and probe → plan chunks → transcribe (fan-out; with speaker windows when diarized, and beside them
the player's audio rendition when a browser cannot play the original) → merge
→ diarize (when the job asks for speakers) → translate (optional fan-out) → render outputs → persist
→ notify; a document (``start_job`` tells it by its extension) goes plan → translate batches (fan-out)
→ assemble → persist → notify instead. Only the contracts of :mod:`functions.contracts` pass through
here (ids, blob references and counts), so no audio, transcript or document text enters the
orchestration history. Activities are called by their function's own name. Deterministic: no clock,
no randomness, no I/O outside activities.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from functions import activities as a
from functions import diarize as dz
from functions import document_steps as doc
from functions import rendition as rn
from functions import results as r
from functions.contracts import (
    DOCUMENT,
    TRANSCRIBE,
    AssembleDocument,
    AudioRendered,
    BatchTranslated,
    ChunksPlanned,
    ChunkTranscribed,
    Contract,
    Diarize,
    DiarizeChunk,
    DocumentBatchTranslated,
    DocumentPlanned,
    ErrorInfo,
    FailJob,
    JobOutcome,
    JobStarted,
    JobStep,
    MediaProbed,
    MergeTranscript,
    MergeTranslation,
    PersistResults,
    PlanTranslation,
    Rejected,
    Rendered,
    RenderOutputs,
    SpeakerWindows,
    TranscribeChunk,
    TranscriptDiarized,
    TranscriptMerged,
    TranslateBatch,
    TranslateDocumentBatch,
    TranslationMerged,
    TranslationRoute,
)

NAME = "transcription_orchestrator"
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3)
C = TypeVar("C", bound=Contract)


class JobFailure(Exception):
    def __init__(self, error: ErrorInfo) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


@functools.cache
def wire_type(activity: Callable[..., Any]) -> type:
    """What an activity's result is on the wire, for the SDK's strict typing: a JSON object, or null
    for an activity that returns nothing."""
    return type(None) if typing.get_type_hints(activity).get("return") is type(None) else dict


def transcription_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    job = JobStep.from_dict(context.get_input(expected_type=dict))
    ids = job.ids()  # the attempt guards every step

    def step(activity: Callable[..., Any], payload: JobStep, *, retry: bool = True) -> TaskBase:
        name, wire = activity.__name__, wire_type(activity)
        if not retry:
            return context.call_activity(name, payload.to_dict(), expected_type=wire)
        return context.call_activity_with_retry(name, RETRY, payload.to_dict(), expected_type=wire)

    try:
        started = JobStarted.from_dict((yield step(a.start_job, job, retry=False)))
        if started.kind == DOCUMENT:  # a document is translated as it is: no media steps
            return (yield from _document(context, step, job))
        media = _checked(MediaProbed, (yield step(a.probe_media, job)))
        context.set_custom_status({"stage": "planning"})
        plan = _checked(ChunksPlanned, (yield step(a.plan_chunks, job)))

        context.set_custom_status({"stage": "transcribing", "chunks": plan.chunks})
        calls = [step(a.transcribe_chunk, TranscribeChunk(**ids, plan_ref=plan.plan_ref, index=i))
                 for i in range(plan.chunks)]
        calls += [step(dz.diarize_chunk, DiarizeChunk(**ids, plan_ref=plan.plan_ref, index=i))
                  for i in range(plan.chunks if plan.speakers else 0)]  # speaker windows, beside each chunk
        calls += [step(rn.render_audio, job)]  # the audio the page plays, when a browser cannot play the original
        *done, audio = yield context.task_all(calls)
        playback = AudioRendered.from_dict(audio).playback
        parts = [ChunkTranscribed.from_dict(p) for p in done[:plan.chunks]]
        merged = TranscriptMerged.from_dict(
            (yield step(a.merge_transcript, MergeTranscript(**ids, refs=tuple(p.ref for p in parts), task=TRANSCRIBE))))
        if windows := [SpeakerWindows.from_dict(w).ref for w in done[plan.chunks:]]:  # one clustering, then cut
            context.set_custom_status({"stage": "diarizing"})
            merged = TranscriptDiarized.from_dict((yield step(dz.diarize, Diarize(**ids, merged_ref=merged.ref,
                                                                                 refs=tuple(windows)))))

        context.set_custom_status({"stage": "translating"})
        translation_ref, note = yield from _translate(context, step, ids, plan, merged)

        context.set_custom_status({"stage": "rendering"})
        results = Rendered.from_dict((yield step(r.render_outputs, RenderOutputs(
            **ids, merged_ref=merged.ref, translation_ref=translation_ref, model=merged.model,
            duration_s=media.duration_s, format=media.format, speech_s=plan.speech_s))))
        yield step(r.persist_results, PersistResults(**ids, outputs=results.outputs, notes=(note,) if note else (),
                                                     summary={**results.summary, "playback": playback}))
        yield step(r.notify_completed, job)
        context.set_custom_status({"stage": "done"})
        return JobOutcome(status="succeeded", outputs=results.outputs).to_dict()
    except Exception as exc:  # every failure ends as a failed job with its reason, never a lost one
        error = exc.error if isinstance(exc, JobFailure) else _error_of(exc)
        yield step(r.fail_job, FailJob(**ids, error=error))
        context.set_custom_status({"stage": "failed", "error": error.code})
        return JobOutcome(status="failed", error=error).to_dict()


def _translate(
    context: df.DurableOrchestrationContext, step: Any, ids: dict[str, Any], plan: ChunksPlanned,
    merged: TranscriptMerged,
) -> Generator[Any, Any, tuple[str | None, str | None]]:
    """Passage by passage, on the transcript's own segments: the text model where it supports the
    language, else Whisper's translate task on each segment's window; every passage is checked."""
    route = TranslationRoute.from_dict((yield step(a.plan_translation, PlanTranslation(
        **ids, language=merged.language, merged_ref=merged.ref, plan_ref=plan.plan_ref))))
    if route.route is None or route.translation_plan_ref is None:
        return None, route.reason
    ref = route.translation_plan_ref
    calls = [step(a.translate_batch, TranslateBatch(**ids, translation_plan_ref=ref, part=i))
             for i in range(route.parts)]
    parts = [BatchTranslated.from_dict(p) for p in ((yield context.task_all(calls)) if calls else [])]
    done = TranslationMerged.from_dict((yield step(a.merge_translation, MergeTranslation(
        **ids, translation_plan_ref=ref, refs=tuple(p.ref for p in parts)))))
    return done.ref, None


def _document(context: df.DurableOrchestrationContext, step: Any, job: JobStep) -> Generator[Any, Any, dict[str, Any]]:
    """Plan the document, translate its batches (fan-out), assemble the three files, close the job."""
    ids = job.ids()
    context.set_custom_status({"stage": "planning"})
    plan = _checked(DocumentPlanned, (yield step(doc.plan_document, job)))
    context.set_custom_status({"stage": "translating", "batches": plan.batches})
    calls = [step(doc.translate_document_batch, TranslateDocumentBatch(**ids, plan_ref=plan.plan_ref, part=i))
             for i in range(plan.batches)]
    parts = [DocumentBatchTranslated.from_dict(p) for p in ((yield context.task_all(calls)) if calls else [])]
    context.set_custom_status({"stage": "rendering"})
    results = _checked(Rendered, (yield step(doc.assemble_document, AssembleDocument(
        **ids, plan_ref=plan.plan_ref, refs=tuple(p.ref for p in parts)))))
    yield step(r.persist_results, PersistResults(**ids, outputs=results.outputs, summary=results.summary))
    yield step(r.notify_completed, job)
    context.set_custom_status({"stage": "done"})
    return JobOutcome(status="succeeded", outputs=results.outputs).to_dict()


def _checked(contract: type[C], result: dict[str, Any]) -> C:
    """The activity's result, or :class:`JobFailure` when it rejected the job (retrying cannot help)."""
    if "error" in result:
        raise JobFailure(Rejected.from_dict(result).error)
    return contract.from_dict(result)


def _error_of(exc: Exception) -> ErrorInfo:
    """A failed activity's reason, as the Durable SDK raises it ("Reason \\n Details")."""
    reason = str(exc).split("\n")[0].strip() or type(exc).__name__
    code, sep, message = reason.partition(": ")
    if sep and code.replace(".", "").replace("_", "").isalnum() and " " not in code:
        return ErrorInfo(code=code, message=message[:500])
    return ErrorInfo(code="internal", message=reason[:500])
