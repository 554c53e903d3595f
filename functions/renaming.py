"""Speaker names after the job: a new version of the names overlay, and the outputs rendered again.

``transcript.json`` (the machine's output) is read, never rewritten, and the transcription is never
redone. Each change writes, once, ``outputs/<force>/<job>/a<n>/names/v<k>-<nonce>/overlay.json`` (the overlay
of :mod:`shared.outputs.overlay`: versioned, each change with who and when, tied to the transcript's
SHA-256) and the job's other formats rendered from the transcript and that overlay by
:func:`shared.outputs.formats.render`, under the same file names as the machine's renderings. The job
record then points ``outputs`` at them and ``summary["names_overlay"]`` at the overlay; an older
version's files stay where they are. Two renames at once: the job record's ETag lets one win and the
other is refused as a conflict (``ConcurrencyError``); the loser's files, under their own nonce, are
never referenced (so a write that died before the record changed cannot block the next one).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from shared.adapters.base import BlobExists, ConcurrencyError
from shared.blob_layout import output_ref
from shared.clock import iso_utc
from shared.domain import Job, JobStatus
from shared.outputs.formats import FORMATS, content_type
from shared.outputs.overlay import dumps_overlay, load_overlay, new_overlay, speaker_ids
from shared.outputs.renaming import renamed
from shared.services import Services

SUMMARY_KEY = "names_overlay"


class NotRenamable(Exception):
    """The job has no transcript (yet) to name speakers in."""


def machine_transcript(services: Services, job: Job) -> tuple[bytes, dict[str, Any]]:
    if job.status is not JobStatus.SUCCEEDED or "json" not in job.outputs:
        raise NotRenamable(f"the job has no transcript ({job.status.value})")
    data = services.blobs.download(job.outputs["json"])
    return data, json.loads(data)


def current_overlay(services: Services, job: Job, transcript_bytes: bytes,
                    transcript: Mapping[str, Any]) -> dict[str, Any]:
    """This attempt's latest overlay, checked against the transcript (version 0 when never named)."""
    held = job.summary.get(SUMMARY_KEY)
    if not held or held.get("attempt") != job.attempt:
        return new_overlay(transcript_bytes)
    return load_overlay(services.blobs.download(held["ref"]), transcript_bytes, transcript)


def speakers_view(transcript: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """What the API shows: the labels in order of first appearance, their names, the overlay's version
    and who changed it when (the history's entries, without the old/new values)."""
    return {"labels": speaker_ids(transcript), "names": dict(overlay["speaker_names"]),
            "version": overlay["version"],
            "history": [{"version": h["version"], "by": h["by"], "at": h["at"]} for h in overlay["history"]
                        if h["action"] == "speaker_names"]}


def rename(services: Services, job: Job, names: Mapping[str, str | None],
           by: str) -> tuple[Job, dict[str, Any], dict[str, Any]]:
    """Apply ``names`` (label → name, None or "" removes it); returns the job (the same object when
    nothing changed), the overlay now in force and the machine transcript.

    Nothing is written when nothing changes. Raises ``ValueError`` for an unknown label or a bad name,
    :class:`NotRenamable`, or ``ConcurrencyError`` when another change won."""
    data, transcript = machine_transcript(services, job)
    if not speaker_ids(transcript):
        raise NotRenamable("the transcript has no speakers (the job was not asked to tell them apart)")
    before = current_overlay(services, job, data, transcript)
    after, renderings = renamed(data, transcript, before, names, [f for f in job.outputs if f in FORMATS],
                                 by=by, at=iso_utc())
    if after["version"] == before["version"]:
        return job, after, transcript
    folder = f"names/v{after['version']}-{secrets.token_hex(4)}"
    overlay_ref = output_ref(job.force_id, job.job_id, job.attempt, f"{folder}/overlay.json")
    try:
        services.blobs.upload(overlay_ref, dumps_overlay(after), content_type="application/json",
                              metadata={"job_id": job.job_id})
    except BlobExists:
        raise ConcurrencyError(job.job_id) from None
    outputs = dict(job.outputs)
    for fmt, rendered in renderings.items():
        name = job.outputs[fmt].rsplit("/", 1)[-1]  # the machine rendering's own file name
        ref = output_ref(job.force_id, job.job_id, job.attempt, f"{folder}/{name}")
        services.blobs.upload(ref, rendered, content_type=content_type(fmt), metadata={"job_id": job.job_id})
        outputs[fmt] = ref
    summary = {**job.summary, SUMMARY_KEY: {"attempt": job.attempt, "version": after["version"], "ref": overlay_ref}}
    return services.jobs.update(job.with_changes(outputs=outputs, summary=summary)), after, transcript

