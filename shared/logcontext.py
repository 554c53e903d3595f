"""Log correlation: every log record carries the id of the job it concerns (never evidence content)."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_job_id: contextvars.ContextVar[str] = contextvars.ContextVar("toex_job_id", default="-")


@contextmanager
def job_context(job_id: str | None) -> Iterator[None]:
    """Every log record made inside carries ``job_id`` (see :func:`install_log_correlation`)."""
    token = _job_id.set(job_id or "-")
    try:
        yield
    finally:
        _job_id.reset(token)


def install_log_correlation() -> None:
    """Add ``record.job_id`` to every log record of this process (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "toex_job_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.job_id = _job_id.get()
        return record

    factory.toex_job_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
