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
from shared.documents.pipeline import PipelineOptions, translate_document
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
    translated_name, bilingual_name = output_names(path, opts.target, doc.output_suffix)
    report = build_report(
        job_id=job_id or f"doc-{uuid.uuid4().hex[:12]}",
        created_at=created_at or iso_utc(),
        source_name=path.name, source_sha256=hashlib.sha256(data).hexdigest(), source_bytes=len(data),
        doc=doc, result=result, model=translator.model_info, opts=opts, decoding=decoding or {},
        glossary=glossary, outputs={"translated": translated_name, "bilingual": bilingual_name,
                                    "report": "translation.json"},
    )
    translated_bytes = doc.write(result.outputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = DocumentOutputs(out_dir / translated_name, out_dir / bilingual_name, out_dir / "translation.json",
                            result.characters_translated, len(result.warnings), len(result.skipped))
    paths.translated.write_bytes(translated_bytes)
    paths.bilingual.write_bytes(render_bilingual(report))
    paths.report.write_bytes(dumps_report(report))
    return paths
