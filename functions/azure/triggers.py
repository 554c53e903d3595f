"""Event triggers (blob uploads, forces' own storage events) and the Durable orchestration and activities.

Intake layout: one container ``incoming`` in the evidence account, one folder per force:
``incoming/<force>/<any path>/<file>``. A blob trigger watches one container (its path cannot bind the
container name), so a single container with force folders is what lets one ``blob_uploaded`` function
cover every force; per-force write access is granted by an RBAC condition on the ``<force>/`` prefix.

``blob_uploaded`` is the Event Grid-source blob trigger (the one Flex Consumption supports). It binds a
``BlobClient`` (SDK-type binding, ``azurefunctions-extensions-bindings-blob``), never the content: the
trigger reads only the blob's properties, so a 20 GB video costs no memory here.

``force_blob_created`` is an Event Grid trigger for forces whose IT keep evidence in their own storage
accounts and send ``Microsoft.Storage.BlobCreated`` events to this app. The force is the one that
``TOEX_FORCE_SOURCES`` (``account=force,...``) names for the event's storage account; the blob is read
later by managed identity from the URL in the event.
"""

import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import azurefunctions.extensions.bindings.blob as blobext

from functions.intake import BlobNotice
from functions.lifecycle import StartOutcome, decide_and_start, start_from_blob
from functions.registry import ACTIVITIES
from functions.registry import transcription_orchestrator as _orchestrator
from functions.sweep import SWEEP_SCHEDULE, sweep_stuck_jobs
from shared.logcontext import job_context
from shared.services import INCOMING, get_services

log = logging.getLogger(__name__)

EVIDENCE_CONNECTION = "EvidenceStorage"
BLOB_CREATED = "Microsoft.Storage.BlobCreated"
# Blob-creating operations; a hierarchical-namespace account also reports CreateFile (0 bytes, before
# the data is flushed), which is not an upload yet.
CREATING_APIS = {"PutBlob", "PutBlockList", "CopyBlob", "FlushWithClose", "PutBlockFromUrl", "PutBlobFromUrl"}

bp = df.Blueprint()





async def start_from_event(event: func.EventGridEvent, client: df.DurableOrchestrationClient) -> StartOutcome:
    """The Event Grid trigger's work: a BlobCreated event from a force's own storage account."""
    data = event.get_json() or {}
    if event.event_type != BLOB_CREATED or data.get("api") not in CREATING_APIS or not data.get("url"):
        log.info("ignored event %s (%s, api %s)", event.id, event.event_type, data.get("api"))
        return StartOutcome("ignored")
    length = data.get("contentLength")
    notice = BlobNotice(url=str(data["url"]), size=int(length) if length is not None else None,
                        etag=str(data.get("eTag") or "").strip('"') or None, content_type=data.get("contentType"))
    return await decide_and_start(client, get_services(), notice)


@bp.function_name("blob_uploaded")
@bp.blob_trigger(arg_name="blob", path=f"{INCOMING}/{{name}}", connection=EVIDENCE_CONNECTION,
                 source=func.BlobSource.EVENT_GRID)
@bp.durable_client_input(client_name="client")
async def blob_uploaded(blob: blobext.BlobClient, client: df.DurableOrchestrationClient) -> None:
    outcome = await start_from_blob(blob, client)
    log.info("blob upload: %s", outcome.action)


@bp.function_name("force_blob_created")
@bp.event_grid_trigger(arg_name="event")
@bp.durable_client_input(client_name="client")
async def force_blob_created(event: func.EventGridEvent, client: df.DurableOrchestrationClient) -> None:
    outcome = await start_from_event(event, client)
    log.info("force storage event %s: %s", event.id, outcome.action)


@bp.function_name("sweep_stuck_jobs")
@bp.timer_trigger(arg_name="timer", schedule=SWEEP_SCHEDULE, run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def sweep_stuck(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    report = await sweep_stuck_jobs(client, get_services())
    log.info("stuck-job sweep: %d restarted, %d failed", len(report.restarted), len(report.failed))


# -- the orchestration and its activities ------------------------------------------------------------
bp.orchestration_trigger(context_name="context")(_orchestrator)


def _activity(name: str, fn: Any) -> Any:
    def activity(payload):  # unannotated: the worker type-checks annotations against the binding
        with job_context(payload.get("job_id") if isinstance(payload, dict) else None):
            return fn(payload)

    activity.__name__ = activity.__qualname__ = name
    activity.__doc__ = fn.__doc__
    return activity


for _name, _fn in ACTIVITIES.items():
    bp.function_name(_name)(bp.activity_trigger(input_name="payload")(_activity(_name, _fn)))
