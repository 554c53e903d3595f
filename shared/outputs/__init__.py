"""Canonical transcript.json and its renderings (txt, srt, vtt, docx)."""

from shared.outputs.formats import FORMATS, content_type, file_name, render
from shared.outputs.transcript import SCHEMA_VERSION, build_transcript, dumps_transcript

__all__ = ["FORMATS", "SCHEMA_VERSION", "build_transcript", "content_type", "dumps_transcript", "file_name",
           "render"]
