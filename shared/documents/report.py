"""``translation.json``: the record of one document translation (schema: docs/translation-schema.md).

Holds the source (name, SHA-256, format, size, reader info), the languages found (code points per
language), the model, every parameter, the glossary (hash, files, the terms it applied and how
often), aligned segments, warnings, the withheld passages (``skipped``: the transcript's shape
with ``start``/``end`` replaced by the unit ``location``), and the character counts.
"""

from __future__ import annotations

import json
from typing import Any

from shared.documents.glossary import Glossary
from shared.documents.model import ParsedDocument
from shared.documents.pipeline import DocumentTranslation, PipelineOptions
from shared.outputs.transcript import default_software

SCHEMA_VERSION = "1.0"


def build_report(*, job_id: str, created_at: str, source_name: str, source_sha256: str, source_bytes: int,
                 doc: ParsedDocument, result: DocumentTranslation, model: dict[str, str],
                 opts: PipelineOptions, decoding: dict[str, Any], glossary: Glossary | None,
                 outputs: dict[str, str]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "job_id": job_id,
        "created_at": created_at,
        "source": {"name": source_name, "sha256": source_sha256, "bytes": source_bytes, "format": doc.format,
                   **({"reader": dict(doc.info)} if doc.info else {})},
        "target_language": opts.target,
        "languages": dict(sorted(result.languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        "model": dict(model),
        "parameters": {**opts.as_dict(), **decoding},
        "glossary": None if glossary is None else {
            "sha256": glossary.sha256, "files": glossary.files, "entries": len(glossary),
            "applied": dict(sorted(result.glossary_applied.items())),
        },
        "characters_translated": result.characters_translated,
        "characters_kept": result.characters_kept,
        "units": len(doc.units),
        "segments": [
            {"id": i, "unit": s.unit, "location": s.location, "language": s.language, "status": s.status,
             "source": s.source, "translation": s.translation}
            for i, s in enumerate(result.segments)
        ],
        "warnings": result.warnings,
        "skipped": result.skipped,
        "outputs": outputs,
        "software": default_software(),
    }


def dumps_report(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")
