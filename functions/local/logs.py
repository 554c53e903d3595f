"""Logging for the CLI: readable text on a terminal, one JSON object per line otherwise.

Records carry ids, stages and counts. Evidence content (transcript text, audio) is never logged:
nothing in this code base passes it to a logger, and this formatter only emits the fields below.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from shared.logcontext import install_log_correlation

_FIELDS = ("job_id", "stage", "chunks_total", "file", "status", "reason")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        d = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for f in _FIELDS:
            if hasattr(record, f):
                d[f] = getattr(record, f)
        if record.exc_info:
            d["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "error"
        return json.dumps(d, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{f}={getattr(record, f)}" for f in _FIELDS if hasattr(record, f))
        return f"{record.levelname.lower():7} {record.getMessage()} {extra}".rstrip()


def configure_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    install_log_correlation()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("azure", "urllib3", "onnxruntime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
