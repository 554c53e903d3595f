"""A quiet first run: library chatter goes to a log file, people see one progress line per step.

Exporting a model makes torch, optimum and onnxruntime print hundreds of lines (tracer warnings,
quantization INFO records) from Python, from C++ and from the exporter's child process. While
:func:`progress_only` is active, file descriptor 2 points at a log file, so all of that lands there;
lines that the project's own fetch and export code marks as progress (``[assets] ...``, ``[models.fetch] ...``,
``[models.export] ...``) are also shown on the terminal. Standard output is left alone: it carries
results (``toex setup`` prints the model path on it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

PROGRESS_TAGS = ("[assets] ", "[models.fetch] ", "[models.export] ")


class _ProgressFilter:
    """A text stream: everything to the log, progress lines to the terminal as well."""

    def __init__(self, log: TextIO, terminal: TextIO, prefix: str) -> None:
        self.log, self.terminal, self.prefix = log, terminal, prefix
        self._line = ""

    def write(self, text: str) -> int:
        self.log.write(text)
        self._line += text
        *lines, self._line = self._line.split("\n")
        for line in lines:
            tag = next((t for t in PROGRESS_TAGS if line.startswith(t)), None)
            if tag is not None:
                self.terminal.write(f"{self.prefix}{line[len(tag):]}\n")
                self.terminal.flush()
        return len(text)

    def flush(self) -> None:
        self.log.flush()
        self.terminal.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # child processes given this stream write to the log
        return self.log.fileno()


@contextmanager
def progress_only(log_path: Path, prefix: str = "toex setup: ") -> Iterator[Path]:
    """Send stderr (Python, native libraries, child processes) to ``log_path``; show progress lines."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved_fd = os.dup(2)
    terminal = os.fdopen(os.dup(saved_fd), "w", buffering=1, encoding="utf-8", errors="replace")
    log = open(log_path, "a", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    os.dup2(log.fileno(), 2)
    saved_stderr = sys.stderr
    sys.stderr = _ProgressFilter(log, terminal, prefix)
    try:
        yield log_path
    finally:
        sys.stderr.flush()
        sys.stderr = saved_stderr
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        log.close()
        terminal.close()
