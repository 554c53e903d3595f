"""Name → function tables shared by the Functions app and the local runner.

Each activity is registered under its function's own ``__name__`` (the name the orchestrator calls it
by) and runs on the wire's JSON: the payload becomes the function's input contract, its result goes
back as a JSON object (or null).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any

from functions import activities, diarize, document_steps, rendition, results
from functions.contracts import Contract, use_strict_typing
from functions.guards import current_attempt_only
from functions.orchestrator import NAME as ORCHESTRATOR
from functions.orchestrator import transcription_orchestrator

use_strict_typing()  # both hosts (the Functions app, the local runner) load the pipeline from here
ORCHESTRATORS: dict[str, Callable[..., Any]] = {ORCHESTRATOR: transcription_orchestrator}

# an old attempt's or a finished job's activities do nothing
GUARDED: tuple[Callable[..., Any], ...] = (
    activities.start_job,
    activities.probe_media,
    activities.plan_chunks,
    activities.transcribe_chunk,
    activities.merge_transcript,
    diarize.diarize_chunk,
    diarize.diarize,
    rendition.render_audio,
    activities.plan_translation,
    activities.translate_batch,
    activities.merge_translation,
    document_steps.plan_document,
    document_steps.translate_document_batch,
    document_steps.assemble_document,
    results.render_outputs,
    results.persist_results,
)
# these guard their own writes (a late notify or failure must not change a cancelled job's record)
SELF_GUARDED: tuple[Callable[..., Any], ...] = (results.notify_completed, results.fail_job)


def on_the_wire(fn: Callable[[Any], Contract | None]) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """``fn`` over JSON: the payload decoded as its annotated input contract, the result encoded."""
    contract: type[Contract] = next(iter(typing.get_type_hints(fn).values()))

    @functools.wraps(fn)
    def activity(payload: dict[str, Any]) -> dict[str, Any] | None:
        result = fn(contract.from_dict(payload))
        return None if result is None else result.to_dict()

    return activity


ACTIVITIES: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
    fn.__name__: on_the_wire(current_attempt_only(fn)) for fn in GUARDED
} | {fn.__name__: on_the_wire(fn) for fn in SELF_GUARDED}
