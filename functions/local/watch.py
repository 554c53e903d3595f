"""The drop folder: every new file becomes one job; originals are never moved, renamed or altered."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from functions.local.app import LocalApp
from shared.domain import Job, JobStatus
from shared.logcontext import job_context

log = logging.getLogger("toex.watch")

_PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")


def candidates(folder: Path, allowed: tuple[str, ...]) -> list[Path]:
    """Files that look finished and allowed: no hidden, temporary or partial-download names."""
    found = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        if p.name.endswith(_PARTIAL_SUFFIXES):
            continue
        if p.suffix.lower() in allowed:
            found.append(p)
    return found


def watch(
    app: LocalApp,
    folder: Path,
    out: Path,
    options: dict[str, Any],
    *,
    interval_s: float = 5.0,
    once: bool = False,
    show_bar: bool = False,
    run: Callable[[LocalApp, Job, bool], Job] | None = None,
) -> int:
    """Poll ``folder``; a file whose size is stable across two polls is submitted once, by content."""
    if not folder.is_dir():
        raise SystemExit(f"toex: {folder} is not a folder")
    if out.resolve() == folder.resolve() or folder.resolve() in out.resolve().parents:
        raise SystemExit("toex: the output folder must not be inside the drop folder")
    runner = run or (lambda a, j, _bar: a.run(j))
    seen_sizes: dict[Path, int] = {}
    handled: set[tuple[Path, int, int]] = set()
    failures = 0
    while True:
        for path in candidates(folder, app.settings.allowed_extensions):
            st = path.stat()
            key = (path, st.st_size, st.st_mtime_ns)
            if key in handled:
                continue
            if seen_sizes.get(path) != st.st_size and not once:
                seen_sizes[path] = st.st_size  # still being copied? look again next poll
                continue
            handled.add(key)
            job, new = app.submit_once(path, options)
            if not new and job.status.terminal:
                continue
            with job_context(job.job_id):
                log.info("new file", extra={"file": path.name})
            final = runner(app, job, show_bar)
            if final.status is JobStatus.SUCCEEDED:
                app.export_outputs(final, out / f"{path.stem}-{final.job_id[4:16]}")
            else:
                failures += 1
                reason = f"{final.error.code}" if final.error else final.status.value
                with job_context(final.job_id):
                    log.warning("job failed", extra={"reason": reason})
        if once:
            return 1 if failures else 0
        time.sleep(interval_s)
