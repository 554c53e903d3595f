"""Document translation as a Durable sub-orchestration: plan → translate batches (fan-out) → assemble.

``document_orchestrator`` takes a `DocumentJob` (blob references and options) and returns
``{"status": "succeeded", "outputs": {name: ref}, "characters_translated": n, ...}`` or
``{"status": "failed", "error": {code, message}}``. Job-record steps (start, persist, notify,
fail) are the caller's, as in ``transcription_orchestrator``.

Invariants:
* only references, counts and reason codes pass through orchestration history; the document's
  text lives in blobs under ``work/<job_id>/a<attempt>/document/`` (the plan, each batch's output);
* the original is read from ``source_ref`` and must hash to ``source_sha256`` when one is given,
  and to the digest the plan recorded when it is read again for assembly (``source.changed``);
* the plan is deterministic (language identification, segmentation, markers), so assembly
  rebuilds it from the original and checks that every batch's sentences are the ones translated;
* a bad document or glossary is a failed job with its ``document.*`` reason, never a retry loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import azure.durable_functions as df

from functions.contracts import ErrorInfo
from functions.orchestrator import JobFailure, _error_of
from shared import blob_layout
from shared.documents.errors import DocumentError
from shared.documents.formats import parse_document
from shared.documents.glossary import Glossary, glossary_of
from shared.documents.job import render_document_outputs
from shared.documents.model import ParsedDocument
from shared.documents.pipeline import PipelineOptions, TranslationPlan, assemble_translation, plan_translation
from shared.services import OUTPUTS, get_services

NAME = "document_orchestrator"
ACTIVITY_NAMES = ("plan_document", "translate_document_batch", "assemble_document")
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3)
_CONTENT_TYPES = {".json": "application/json", ".docx": "application/vnd.openxmlformats-officedocument."
                  "wordprocessingml.document"}
T = TypeVar("T")


def _of(cls: type[T], p: dict[str, Any]) -> T:
    """``cls`` from an activity payload (keys it does not declare, such as the job ids, ignored)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in p.items() if k in names})


# -- contracts: what each step takes and returns (JSON-able, references only) --------------------
@dataclass(frozen=True)
class DocumentJob:
    """The orchestration's input. ``output_prefix`` default: ``outputs/<force>/<job>/a<attempt>/``."""

    job_id: str
    force_id: str
    source_ref: str
    name: str  # the original file name: its extension chooses the reader, its stem the outputs'
    target: str = "en"
    source_language: str | None = None
    source_sha256: str | None = None
    force_glossary_ref: str | None = None
    glossary_ref: str | None = None
    attempt: int = 1
    output_prefix: str | None = None
    max_batch_items: int = 32
    max_batch_chars: int = 4000

    def options(self) -> PipelineOptions:
        return PipelineOptions(target=self.target, source=self.source_language,
                               max_batch_items=self.max_batch_items, max_batch_chars=self.max_batch_chars)

    def ids(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "force_id": self.force_id, "attempt": self.attempt}


@dataclass(frozen=True)
class DocumentPlanned:
    plan_ref: str = ""
    batches: int = 0
    units: int = 0
    error: dict[str, str] | None = None


@dataclass(frozen=True)
class BatchTranslated:
    ref: str
    sentences: int


@dataclass(frozen=True)
class DocumentAssembled:
    outputs: dict[str, str] = field(default_factory=dict)  # "translated" | "bilingual" | "report" → blob ref
    characters_translated: int = 0
    characters_kept: int = 0
    warnings: int = 0
    skipped: int = 0
    error: dict[str, str] | None = None


# -- helpers ------------------------------------------------------------------------------------
def _out(result: Any) -> dict[str, Any]:
    """A result as the orchestrator reads it: an ``error`` key only when there is one."""
    d = asdict(result)
    if d.get("error") is None:
        d.pop("error", None)
    return d


def _failure(e: DocumentError) -> dict[str, str]:
    return {"code": e.code, "message": e.message}


def _checked(result: dict[str, Any]) -> dict[str, Any]:
    """The activity's result, or :class:`JobFailure` when it rejected the document."""
    if result.get("error"):
        raise JobFailure(ErrorInfo.from_dict(result["error"]))
    return result


def work_ref(ids: dict[str, Any], name: str) -> str:
    return blob_layout.work_ref(ids["job_id"], ids["attempt"], name)


def _write(ref: str, data: bytes, content_type: str = "application/json") -> str:
    get_services().blobs.upload(ref, data, overwrite=True, content_type=content_type)
    return ref


def _source(job: DocumentJob, expected: str | None) -> bytes:
    data = get_services().blobs.download(job.source_ref)
    actual = hashlib.sha256(data).hexdigest()
    if expected and actual != expected.lower():
        raise JobFailure(ErrorInfo(code="source.changed", message=f"the original's SHA-256 is {actual}, "
                                                                  f"not the {expected} recorded"))
    return data


def _glossary(job: DocumentJob) -> Glossary | None:
    blobs = get_services().blobs
    files = [(blobs.download(ref), Path(ref).name, origin)
             for ref, origin in ((job.force_glossary_ref, "force"), (job.glossary_ref, "job")) if ref]
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


# -- activities ---------------------------------------------------------------------------------
def plan_document(p: dict[str, Any]) -> dict[str, Any]:
    """Read and plan the document; the sentences to translate, batch by batch, go to one blob."""
    job = _of(DocumentJob, p["job"])
    try:
        data = _source(job, job.source_sha256)
        doc, plan, _ = _planned(job, data)
    except JobFailure as e:
        return _out(DocumentPlanned(error=e.error.to_dict()))
    except DocumentError as e:
        return _out(DocumentPlanned(error=_failure(e)))
    batches = [{"language": b.language, "texts": b.texts} for b in plan.batches(job.options())]
    body = {"job": asdict(job), "sha256": hashlib.sha256(data).hexdigest(), "batches": batches}
    ref = _write(work_ref(job.ids(), "document/plan.json"), json.dumps(body, ensure_ascii=False).encode())
    return _out(DocumentPlanned(ref, len(batches), len(doc.units)))


def translate_document_batch(p: dict[str, Any]) -> dict[str, Any]:
    """One batch through the model; its output texts go to a blob."""
    plan = json.loads(get_services().blobs.download(p["plan_ref"]))
    job = _of(DocumentJob, plan["job"])
    batch = plan["batches"][p["index"]]
    translator = get_services().translator
    if translator is None:
        raise RuntimeError("translation model disappeared between planning and translating")
    out = list(translator.translate(batch["texts"], batch["language"], job.target))
    if len(out) != len(batch["texts"]):
        raise RuntimeError(f"translator returned {len(out)} texts for {len(batch['texts'])}")
    ref = _write(work_ref(job.ids(), f"document/batch-{p['index']:05d}.json"),
                 json.dumps(out, ensure_ascii=False).encode())
    return _out(BatchTranslated(ref, len(out)))


def assemble_document(p: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the plan from the original, put the translations back, write the three files."""
    stored = json.loads(get_services().blobs.download(p["plan_ref"]))
    job = _of(DocumentJob, stored["job"])
    try:
        data = _source(job, stored["sha256"])
        doc, plan, glossary = _planned(job, data)
    except JobFailure as e:
        return _out(DocumentAssembled(error=e.error.to_dict()))
    except DocumentError as e:
        return _out(DocumentAssembled(error=_failure(e)))
    requests = plan.batches(job.options())
    if [r.texts for r in requests] != [b["texts"] for b in stored["batches"]] or len(p["batch_refs"]) != len(requests):
        raise RuntimeError("the document's plan differs from the one translated (reader or model changed?)")
    translated: dict[tuple[int, int], str] = {}
    for request, ref in zip(requests, p["batch_refs"], strict=True):
        translated.update(zip(request.keys, json.loads(get_services().blobs.download(ref)), strict=True))
    result = assemble_translation(doc, plan, translated, glossary)
    files = render_document_outputs(doc, data, job.name, result, _model(plan, job.target), job.options(), glossary,
                                    job_id=job.job_id)
    prefix = job.output_prefix or f"{OUTPUTS}/{job.force_id}/{job.job_id}/a{job.attempt}/"
    refs = {}
    for role, name in zip(("translated", "bilingual", "report"), files, strict=True):
        kind = _CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
        refs[role] = _write(prefix + name, files[name], kind)
    return _out(DocumentAssembled(refs, result.characters_translated, result.characters_kept,
                                    len(result.warnings), len(result.skipped)))


ACTIVITIES = {"plan_document": plan_document, "translate_document_batch": translate_document_batch,
              "assemble_document": assemble_document}


# -- the sub-orchestrator -----------------------------------------------------------------------
def document_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    job = context.get_input(expected_type=dict)
    ids = {k: job[k] for k in ("job_id", "force_id", "attempt") if k in job}

    def step(name: str, **payload: Any) -> Any:
        return context.call_activity_with_retry(name, RETRY, {**ids, **payload}, expected_type=dict)

    try:
        context.set_custom_status({"stage": "planning"})
        plan = _checked((yield step("plan_document", job=job)))
        context.set_custom_status({"stage": "translating", "batches": plan["batches"]})
        calls = [step("translate_document_batch", plan_ref=plan["plan_ref"], index=i) for i in range(plan["batches"])]
        parts = (yield context.task_all(calls)) if calls else []
        context.set_custom_status({"stage": "assembling"})
        done = _checked((yield step("assemble_document", plan_ref=plan["plan_ref"],
                                    batch_refs=[part["ref"] for part in parts])))
        context.set_custom_status({"stage": "done"})
        return {"status": "succeeded", "outputs": done["outputs"], "units": plan["units"],
                **{k: done[k] for k in ("characters_translated", "characters_kept", "warnings", "skipped")}}
    except Exception as exc:  # a failure is a result with its reason, for the caller's fail step
        error = exc.error if isinstance(exc, JobFailure) else _error_of(exc)
        context.set_custom_status({"stage": "failed", "error": error.code})
        return {"status": "failed", "error": error.to_dict()}
