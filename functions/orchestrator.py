"""The pipeline's table of contents: one Durable orchestration per evidence file.

ingest and probe → plan chunks → transcribe (fan-out) → merge → translate (optional fan-out)
→ render outputs → persist → notify. Only ids, blob references and counts pass through here,
so no audio and no transcript text enters the orchestration history. Deterministic: no clock,
no randomness, no I/O outside activities.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

NAME = "transcription_orchestrator"
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3)


class JobFailure(Exception):
    def __init__(self, error: dict[str, str]) -> None:
        super().__init__(f"{error['code']}: {error['message']}")
        self.error = error


def transcription_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    job = context.get_input()
    ids = {k: job[k] for k in ("job_id", "force_id", "attempt") if k in job}  # the attempt guards every step

    def step(name: str, **payload: Any) -> Any:
        return context.call_activity_with_retry(name, RETRY, {**ids, **payload})

    try:
        yield context.call_activity("start_job", ids)
        media = _checked((yield step("probe_media")))
        context.set_custom_status({"stage": "planning"})
        plan = _checked((yield step("plan_chunks")))

        context.set_custom_status({"stage": "transcribing", "chunks": plan["chunks"]})
        merged = yield from _transcribe(context, step, plan, task="transcribe")

        context.set_custom_status({"stage": "translating"})
        translation_ref, note = yield from _translate(context, step, plan, merged)

        context.set_custom_status({"stage": "rendering"})
        results = yield step(
            "render_outputs",
            merged_ref=merged["ref"],
            translation_ref=translation_ref,
            model=merged["model"],
            duration_s=media["duration_s"],
            format=media["format"],
            speech_s=plan["speech_s"],
        )
        yield step(
            "persist_results", outputs=results["outputs"], summary=results["summary"], notes=[note] if note else []
        )
        yield step("notify_completed")
        context.set_custom_status({"stage": "done"})
        return {"status": "succeeded", "outputs": results["outputs"]}
    except Exception as exc:  # every failure ends as a failed job with its reason, never a lost one
        error = exc.error if isinstance(exc, JobFailure) else _error_of(exc)
        yield step("fail_job", error=error)
        context.set_custom_status({"stage": "failed", "error": error["code"]})
        return {"status": "failed", "error": error}


def _transcribe(
    context: df.DurableOrchestrationContext, step: Any, plan: dict[str, Any], task: str
) -> Generator[Any, Any, dict[str, Any]]:
    """Fan the chunks out to Whisper, then merge their segments onto the source timeline."""
    calls = [step("transcribe_chunk", plan_ref=plan["plan_ref"], index=i, task=task) for i in range(plan["chunks"])]
    parts = (yield context.task_all(calls)) if calls else []
    merged: dict[str, Any] = yield step("merge_transcript", refs=[p["ref"] for p in parts], task=task)
    return merged


def _translate(
    context: df.DurableOrchestrationContext, step: Any, plan: dict[str, Any], merged: dict[str, Any]
) -> Generator[Any, Any, tuple[str | None, str | None]]:
    """Passage by passage, on the transcript's own segments: the text model where it supports the
    language, else Whisper's translate task on each segment's window; every passage is checked."""
    route = yield step("plan_translation", language=merged["language"], merged_ref=merged["ref"],
                       plan_ref=plan["plan_ref"])
    if route["route"] is None:
        return None, route.get("reason")
    ref = route["translation_plan_ref"]
    calls = [step("translate_batch", translation_plan_ref=ref, part=i) for i in range(route["parts"])]
    parts = (yield context.task_all(calls)) if calls else []
    done = yield step("merge_translation", translation_plan_ref=ref, refs=[p["ref"] for p in parts])
    return done["ref"], None


def _checked(result: dict[str, Any]) -> dict[str, Any]:
    if "error" in result:
        raise JobFailure(result["error"])
    return result


def _error_of(exc: Exception) -> dict[str, str]:
    """A failed activity's reason, as the Durable SDK raises it ("Reason \\n Details")."""
    reason = str(exc).split("\n")[0].strip() or type(exc).__name__
    code, sep, message = reason.partition(": ")
    if sep and code.replace(".", "").replace("_", "").isalnum() and " " not in code:
        return {"code": code, "message": message[:500]}
    return {"code": "internal", "message": reason[:500]}
