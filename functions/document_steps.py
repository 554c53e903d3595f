"""A document job's steps in the main orchestration: plan → translate batches (fan-out) → assemble.

``start_job`` tells a document by its extension (``JobStarted.kind``); the orchestrator then runs these
three activities instead of the media steps, and closes the job as for media (``persist_results``,
``notify_completed``, or ``fail_job`` with the ``document.*`` reason).

Invariants:
* only references, counts and reason codes pass through orchestration history; the document's
  text lives in blobs under ``work/<job_id>/a<attempt>/document/`` (the plan, each batch's output);
* the job's options come from its record (blob metadata at intake, checked here by
  :mod:`functions.document_intake`); the original is read pinned to its intake version and digest,
  and must hash to the digest the plan recorded when it is read again for assembly (``source.changed``);
* the plan is deterministic (language identification, segmentation, markers), so assembly
  rebuilds it from the original and checks that every batch's sentences are the ones translated;
* a bad document, glossary or metadata is a :class:`Rejected` job with its reason, never a retry loop;
* outputs are written once under ``outputs/<force>/<job>/a<attempt>/``.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from functions.contracts import (
    DOCUMENT,
    AssembleDocument,
    DocumentBatchTranslated,
    DocumentPlanned,
    ErrorInfo,
    JobStep,
    Rejected,
    Rendered,
    TranslateDocumentBatch,
)
from functions.document_intake import DocumentJob, document_job_from_metadata, force_document_defaults
from functions.guards import SourceChanged, pinned_source, work_ref
from shared.adapters.base import BlobExists, BlobNotFound
from shared.blob_layout import output_ref
from shared.documents.errors import DocumentError
from shared.documents.formats import parse_document
from shared.documents.glossary import Glossary, glossary_of
from shared.documents.job import render_document_outputs
from shared.documents.model import ParsedDocument
from shared.documents.pipeline import TranslationPlan, assemble_translation, plan_translation
from shared.domain import Job
from shared.job_updates import chunk_done, mutate_job, set_stage
from shared.services import get_services

BATCH_ITEMS, BATCH_CHARS = 32, 4000  # sentences and characters per call to the model
_CONTENT_TYPES = {".json": "application/json", ".docx": "application/vnd.openxmlformats-officedocument."
                  "wordprocessingml.document"}
GLOSSARY_NOT_FOUND = "document.glossary_not_found"
ROLES = ("translated", "bilingual", "report")  # the outputs' keys, in render_document_outputs' order


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.error = ErrorInfo(code=code, message=message)


def _write(ref: str, data: bytes, content_type: str = "application/json") -> str:
    get_services().blobs.upload(ref, data, overwrite=True, content_type=content_type)
    return ref


def _document_job(job: Job) -> DocumentJob:
    """The document job the record's options ask for (raises :class:`_Refused` for bad metadata)."""
    blobs = get_services().blobs
    metadata = {k: str(v) for k, v in job.options.items() if isinstance(v, str)}
    upload = document_job_from_metadata(job_id=job.job_id, force_id=job.force_id, attempt=job.attempt,
                                        source_ref=job.source.ref, name=job.source.name, metadata=metadata,
                                        defaults=force_document_defaults(blobs, job.force_id))
    if upload.job is None:
        assert upload.error is not None
        raise _Refused(upload.error["code"], upload.error["message"])
    return replace(upload.job, source_sha256=job.source.sha256, max_batch_items=BATCH_ITEMS,
                   max_batch_chars=BATCH_CHARS)


def _source(job: Job, expected: str | None = None) -> bytes:
    """The original's bytes, at the job's version and digest (and ``expected``, the plan's)."""
    try:
        with pinned_source(job) as path:
            data = path.read_bytes()
    except SourceChanged as e:
        raise _Refused("source.changed", str(e).partition(": ")[2]) from None
    actual = hashlib.sha256(data).hexdigest()
    if expected and actual != expected.lower():
        raise _Refused("source.changed", "the file's content is not the content this job was planned for")
    return data


def _glossary(job: DocumentJob) -> Glossary | None:
    blobs = get_services().blobs
    files = []
    for ref, origin in ((job.force_glossary_ref, "force"), (job.glossary_ref, "job")):
        if ref:
            try:
                files.append((blobs.download(ref), Path(ref).name, origin))
            except BlobNotFound:
                raise _Refused(GLOSSARY_NOT_FOUND, f"the glossary {Path(ref).name} is not in "
                                                   f"{Path(ref).parent}/") from None
    return glossary_of(files)


def _planned(job: DocumentJob, data: bytes) -> tuple[ParsedDocument, TranslationPlan, Glossary | None]:
    """Parse and plan (raises `DocumentError`); the translator is asked only which pairs it has."""
    glossary = _glossary(job)
    doc = parse_document(data, job.name)
    translator = get_services().translator
    supports = translator.supports if translator is not None else (lambda s, t: False)
    return doc, plan_translation(doc, supports, job.options(), glossary), glossary


def _model(plan: TranslationPlan, target: str) -> dict[str, str]:
    translator = get_services().translator
    if translator is None:
        return {"name": "none", "sha256": "", "precision": ""}
    model_for = getattr(translator, "model_for", None)  # a set of local packages: the pairs used
    if model_for is None or not plan.pending:
        return dict(translator.model_info)
    infos = [model_for(lang, target) for lang in plan.pending]
    if len({i["sha256"] for i in infos}) == 1:
        return dict(infos[0])
    return {k: " | ".join(i[k] for i in infos) for k in ("name", "sha256", "precision")}


def _stored_job(stored: dict[str, Any]) -> DocumentJob:
    names = {f.name for f in fields(DocumentJob)}
    return DocumentJob(**{k: v for k, v in stored["job"].items() if k in names})


# -- activities ---------------------------------------------------------------------------------
def plan_document(p: JobStep) -> DocumentPlanned | Rejected:
    """Read and plan the document; the sentences to translate, batch by batch, go to one blob."""
    svc = get_services()
    job = set_stage(svc.jobs, p.force_id, p.job_id, "planning", events=svc.events)
    try:
        doc_job = _document_job(job)
        data = _source(job)
        doc, plan, _ = _planned(doc_job, data)
    except _Refused as e:
        return Rejected(error=e.error)
    except DocumentError as e:
        return Rejected(error=ErrorInfo(code=e.code, message=e.message))
    sha256 = hashlib.sha256(data).hexdigest()
    batches = [{"language": b.language, "texts": b.texts} for b in plan.batches(doc_job.options())]
    body = {"job": asdict(doc_job), "sha256": sha256, "batches": batches}
    ref = _write(work_ref(p, "document/plan.json"), json.dumps(body, ensure_ascii=False).encode())
    source = dict(job.source.__dict__, sha256=sha256, size_bytes=len(data))
    mutate_job(svc.jobs, job.force_id, job.job_id, lambda j: j.with_changes(
        source=type(j.source)(**source),
        summary={**j.summary, "kind": DOCUMENT, "format": Path(job.source.name).suffix.lower().lstrip(".")}))
    set_stage(svc.jobs, job.force_id, job.job_id, "translating", events=svc.events,
              chunks_total=len(batches), chunks_done=0)
    return DocumentPlanned(plan_ref=ref, batches=len(batches), units=len(doc.units))


def translate_document_batch(p: TranslateDocumentBatch) -> DocumentBatchTranslated:
    """One batch through the model; its output texts go to a blob."""
    svc = get_services()
    plan = json.loads(svc.blobs.download(p.plan_ref))
    job = _stored_job(plan)
    batch = plan["batches"][p.part]
    if svc.translator is None:
        raise RuntimeError("translation model disappeared between planning and translating")
    out = list(svc.translator.translate(batch["texts"], batch["language"], job.target))
    if len(out) != len(batch["texts"]):
        raise RuntimeError(f"translator returned {len(out)} texts for {len(batch['texts'])}")
    ref = _write(work_ref(p, f"document/batch-{p.part:05d}.json"), json.dumps(out, ensure_ascii=False).encode())
    chunk_done(svc.jobs, p.force_id, p.job_id)
    return DocumentBatchTranslated(ref=ref, sentences=len(out))


def assemble_document(p: AssembleDocument) -> Rendered | Rejected:
    """Rebuild the plan from the original, put the translations back, write the three files once."""
    svc = get_services()
    stored = json.loads(svc.blobs.download(p.plan_ref))
    doc_job = _stored_job(stored)
    job = set_stage(svc.jobs, p.force_id, p.job_id, "rendering", events=svc.events)
    try:
        data = _source(job, stored["sha256"])
        doc, plan, glossary = _planned(doc_job, data)
    except _Refused as e:
        return Rejected(error=e.error)
    except DocumentError as e:
        return Rejected(error=ErrorInfo(code=e.code, message=e.message))
    requests = plan.batches(doc_job.options())
    if [r.texts for r in requests] != [b["texts"] for b in stored["batches"]] or len(p.refs) != len(requests):
        raise RuntimeError("the document's plan differs from the one translated (reader or model changed?)")
    translated: dict[tuple[int, int], str] = {}
    for request, ref in zip(requests, p.refs, strict=True):
        translated.update(zip(request.keys, json.loads(svc.blobs.download(ref)), strict=True))
    result = assemble_translation(doc, plan, translated, glossary)
    model = _model(plan, doc_job.target)
    files = render_document_outputs(doc, data, doc_job.name, result, model, doc_job.options(), glossary,
                                    job_id=job.job_id, created_at=str(job.created_at))
    outputs = {}
    for role, name in zip(ROLES, files, strict=True):
        ref = output_ref(job.force_id, job.job_id, job.attempt, name)
        with suppress(BlobExists):  # a retried activity: results are write-once and already there
            svc.blobs.upload(ref, files[name], content_type=_CONTENT_TYPES.get(Path(name).suffix,
                                                                               "application/octet-stream"),
                             metadata={"job_id": job.job_id})
        outputs[role] = ref
    summary = {"kind": DOCUMENT, "units": len(doc.units), "characters_translated": result.characters_translated,
               "characters_kept": result.characters_kept, "warnings": len(result.warnings),
               "skipped": len(result.skipped), "translation": {"language": doc_job.target}, "model": model}
    return Rendered(outputs=outputs, summary=summary)
