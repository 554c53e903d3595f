"""A document upload's options, from its blob metadata and its force's defaults → a `DocumentJob`.

Blob metadata keys (set by the upload tool; all optional; the same names the transcription
trigger reads where they mean the same):

| key | meaning | default |
|---|---|---|
| ``translate_to`` | target language (ISO 639-1) | the force's ``target``, else ``en`` |
| ``language`` | declared source language (no identification) | identified per unit |
| ``glossary`` | the job's glossary: a file name in ``incoming/<force>/glossaries/`` | none |
| ``case_ref``, ``exhibit_ref`` | case and exhibit references (kept on the job, never translated) | none |
| ``sha256`` | the uploader's SHA-256 of the original (checked on every read) | none |

As for a media upload, ``case_reference`` and ``exhibit_reference`` (the page's names) are read as
``case_ref`` and ``exhibit_ref``, every value is percent-decoded once as UTF-8 at intake
(``functions.intake.options_from_metadata``; the job's options reach this module decoded, so they are
not decoded again), and a reference has the one form ``functions.intake.reference_option`` checks.

Force defaults (`ForceDocumentDefaults`, `force_document_defaults`): the target (``en``), the force
glossary (``incoming/<force>/glossaries/force.csv`` or ``.tsv`` when there is one), the glossary folder.
Files in a glossary folder are glossaries, never jobs (functions.intake ignores them). A
value that is not a language code or a plain file name is refused with a reason (the job fails
as ``document.bad_metadata``), never guessed.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from functions.intake import glossary_folder, metadata_options, reference_option
from shared.adapters.base import BlobNotFound, BlobStore
from shared.documents.pipeline import PipelineOptions

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_FILE_NAME = re.compile(r"^[\w][\w .-]{0,120}\.(csv|tsv)$", re.UNICODE)
BAD_METADATA = "document.bad_metadata"
FORCE_GLOSSARY_NAMES = ("force.csv", "force.tsv")


@dataclass(frozen=True)
class DocumentJob:
    """What the document steps read (written into the plan blob, never into history). ``output_prefix``
    default: ``outputs/<force>/<job>/a<attempt>/``."""

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
class ForceDocumentDefaults:
    target: str = "en"
    force_glossary_ref: str | None = None  # the force's glossary blob
    glossary_folder: str | None = None  # where a job's ``glossary`` metadata names its file


def force_document_defaults(blobs: BlobStore, force_id: str) -> ForceDocumentDefaults:
    """The force's glossary folder, and its force glossary when one has been uploaded there."""
    folder = glossary_folder(force_id)
    for name in FORCE_GLOSSARY_NAMES:
        with suppress(BlobNotFound):
            blobs.properties(f"{folder}/{name}")
            return ForceDocumentDefaults(force_glossary_ref=f"{folder}/{name}", glossary_folder=folder)
    return ForceDocumentDefaults(glossary_folder=folder)


@dataclass(frozen=True)
class DocumentUpload:
    job: DocumentJob | None
    case_ref: str | None = None
    exhibit_ref: str | None = None
    error: dict[str, str] | None = None


def document_job_from_metadata(*, job_id: str, force_id: str, attempt: int, source_ref: str, name: str,
                               metadata: dict[str, str], defaults: ForceDocumentDefaults) -> DocumentUpload:
    """The job an upload asks for, or the reason its metadata is refused."""
    def bad(message: str) -> DocumentUpload:
        return DocumentUpload(None, error={"code": BAD_METADATA, "message": message})

    try:
        metadata = {**metadata, **metadata_options(metadata, decode=False)}  # the page's long names as short ones
    except ValueError as e:
        return bad(f"metadata {e}")
    target = (metadata.get("translate_to") or defaults.target).strip().lower()
    source = (metadata.get("language") or "").strip().lower() or None
    for key, value in (("translate_to", target), ("language", source)):
        if value is not None and not _LANGUAGE.match(value):
            return bad(f"metadata {key} is not a language code")
    glossary_ref = None
    if metadata.get("glossary"):
        file_name = metadata["glossary"].strip()
        if not _FILE_NAME.match(file_name) or ".." in file_name:
            return bad("metadata glossary is not a .csv or .tsv file name")
        if not defaults.glossary_folder:
            return bad("metadata glossary names a file but the force has no glossary folder")
        glossary_ref = f"{defaults.glossary_folder.rstrip('/')}/{file_name}"
    try:
        refs = {k: reference_option(k, metadata.get(k)) for k in ("case_ref", "exhibit_ref")}
    except ValueError as e:
        return bad(f"metadata {e}")
    job = DocumentJob(job_id=job_id, force_id=force_id, attempt=attempt, source_ref=source_ref, name=name,
                      target=target, source_language=source, source_sha256=metadata.get("sha256") or None,
                      force_glossary_ref=defaults.force_glossary_ref, glossary_ref=glossary_ref)
    return DocumentUpload(job, refs["case_ref"], refs["exhibit_ref"])
