"""One document in, three files out: ``<stem>.<target><ext>``, ``<stem>.bilingual.docx``,
``translation.json`` (the orchestrator and ``toex translate`` call this; it knows no storage).

The original is only read. A bad document raises `DocumentError` before anything is written.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shared.clock import iso_utc
from shared.documents.bilingual import render_bilingual
from shared.documents.formats import DEFAULT_MAX_BYTES, read_document
from shared.documents.glossary import Glossary
from shared.documents.model import ParsedDocument
from shared.documents.pipeline import DocumentTranslation, PipelineOptions, translate_document
from shared.documents.report import build_report, dumps_report


class Translator(Protocol):
    """`shared.adapters.base.TextTranslator`."""

    @property
    def model_info(self) -> dict[str, str]: ...

    def supports(self, source_language: str, target_language: str) -> bool: ...

    def translate(self, texts: list[str], source_language: str, target_language: str) -> list[str]: ...


@dataclass(frozen=True)
class DocumentOutputs:
    translated: Path
    bilingual: Path
    report: Path
    characters_translated: int
    warnings: int
    skipped: int


def output_names(source: Path, target: str, suffix: str) -> tuple[str, str]:
    return f"{source.stem}.{target}{suffix}", f"{source.stem}.bilingual.docx"


def translate_file(path: Path, out_dir: Path, translator: Translator, opts: PipelineOptions | None = None,
                   glossary: Glossary | None = None, *, job_id: str | None = None,
                   decoding: dict[str, Any] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                   created_at: str | None = None) -> DocumentOutputs:
    opts = opts or PipelineOptions()
    doc, data = read_document(path, max_bytes)
    result = translate_document(doc, translator.translate, translator.supports, opts, glossary)
    files = render_document_outputs(doc, data, path.name, result, translator.model_info, opts, glossary,
                                    job_id=job_id, decoding=decoding, created_at=created_at)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(files)
    paths = DocumentOutputs(out_dir / names[0], out_dir / names[1], out_dir / names[2],
                            result.characters_translated, len(result.warnings), len(result.skipped))
    for name, content in files.items():
        (out_dir / name).write_bytes(content)
    return paths


def render_document_outputs(doc: ParsedDocument, data: bytes, name: str, result: DocumentTranslation,
                            model: dict[str, str], opts: PipelineOptions, glossary: Glossary | None, *,
                            job_id: str | None = None, decoding: dict[str, Any] | None = None,
                            created_at: str | None = None) -> dict[str, bytes]:
    """The three files' names and bytes, in order: translated document, bilingual DOCX, report."""
    translated_name, bilingual_name = output_names(Path(name), opts.target, doc.output_suffix)
    report = build_report(
        job_id=job_id or f"doc-{uuid.uuid4().hex[:12]}",
        created_at=created_at or iso_utc(),
        source_name=name, source_sha256=hashlib.sha256(data).hexdigest(), source_bytes=len(data),
        doc=doc, result=result, model=model, opts=opts, decoding=decoding or {},
        glossary=glossary, outputs={"translated": translated_name, "bilingual": bilingual_name,
                                    "report": "translation.json"},
    )
    return {translated_name: doc.write(result.outputs), bilingual_name: render_bilingual(report),
            "translation.json": dumps_report(report)}
