"""Name → function tables shared by the Functions app and the local runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from functions import activities, results
from functions.guards import current_attempt_only
from functions.orchestrator import NAME as ORCHESTRATOR
from functions.orchestrator import transcription_orchestrator

ORCHESTRATORS: dict[str, Callable[..., Any]] = {ORCHESTRATOR: transcription_orchestrator}

ACTIVITIES: dict[str, Callable[[Any], Any]] = {
    "start_job": activities.start_job,
    "probe_media": activities.probe_media,
    "plan_chunks": activities.plan_chunks,
    "transcribe_chunk": activities.transcribe_chunk,
    "merge_transcript": activities.merge_transcript,
    "plan_translation": activities.plan_translation,
    "translate_batch": activities.translate_batch,
    "merge_translation": activities.merge_translation,
    "render_outputs": results.render_outputs,
    "persist_results": results.persist_results,
}
# an old attempt's or a finished job's activities do nothing (notify and fail guard their own writes)
ACTIVITIES = {name: current_attempt_only(fn) for name, fn in ACTIVITIES.items()}
ACTIVITIES["notify_completed"] = results.notify_completed
ACTIVITIES["fail_job"] = results.fail_job
