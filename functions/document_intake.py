"""A document upload's options, from its blob metadata and its force's defaults → a `DocumentJob`.

Blob metadata keys (set by the upload tool; all optional; the same names the transcription
trigger reads where they mean the same):

| key | meaning | default |
|---|---|---|
| ``translate_to`` | target language (ISO 639-1) | the force's ``target``, else ``en`` |
| ``language`` | declared source language (no identification) | identified per unit |
| ``glossary`` | the job's glossary: a file name in the force's glossary folder | none |
| ``case_ref``, ``exhibit_ref`` | case and exhibit references (kept on the job, never translated) | none |
| ``sha256`` | the uploader's SHA-256 of the original (checked on every read) | none |

Force defaults (`ForceDocumentDefaults`): the target, the force glossary, the glossary folder. A
value that is not a language code or a plain file name is refused with a reason (the job fails
as ``document.bad_metadata``), never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from functions.document_steps import DocumentJob

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_FILE_NAME = re.compile(r"^[\w][\w .-]{0,120}\.(csv|tsv)$", re.UNICODE)
_REFERENCE = re.compile(r"^[\w/ .-]{1,64}$", re.UNICODE)
BAD_METADATA = "document.bad_metadata"


@dataclass(frozen=True)
class ForceDocumentDefaults:
    target: str = "en"
    force_glossary_ref: str | None = None  # the force's glossary blob
    glossary_folder: str | None = None  # where a job's ``glossary`` metadata names its file


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
    refs = {k: metadata.get(k, "").strip() or None for k in ("case_ref", "exhibit_ref")}
    for key, value in refs.items():
        if value is not None and not _REFERENCE.match(value):
            return bad(f"metadata {key} is not a reference (letters, digits, / . - and spaces, at most 64)")
    job = DocumentJob(job_id=job_id, force_id=force_id, attempt=attempt, source_ref=source_ref, name=name,
                      target=target, source_language=source, source_sha256=metadata.get("sha256") or None,
                      force_glossary_ref=defaults.force_glossary_ref, glossary_ref=glossary_ref)
    return DocumentUpload(job, refs["case_ref"], refs["exhibit_ref"])
