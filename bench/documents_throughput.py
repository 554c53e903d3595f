"""Characters per second per core for document translation with a real model: reading,
language identification, segmentation, placeholders, the engine, reassembly and writing the
three files, on a generated Portuguese DOCX (bench/documents_text.py).

    python -m bench.documents_throughput [--package DIR] [--pages 8] [--threads 1] [--runs 2]

Default package: the pt→en Bergamot package (models.fetch.ensure_translation_models). "Per core"
is characters over CPU seconds of this process with ``--threads 1``; wall-clock figures depend on
the machine's load, printed next to them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.documents_text import make_docx
from shared.adapters.inference_local import LocalTranslator
from shared.documents.job import translate_file
from shared.documents.pipeline import PipelineOptions


class _Timed:
    """The translator, with the seconds spent inside the engine counted."""

    def __init__(self, inner: LocalTranslator) -> None:
        self.inner, self.engine_s = inner, 0.0

    @property
    def model_info(self) -> dict[str, str]:
        return self.inner.model_info

    def supports(self, s: str, t: str) -> bool:
        return self.inner.supports(s, t)

    def translate(self, texts: list[str], s: str, t: str) -> list[str]:
        t0 = time.process_time()
        out = self.inner.translate(texts, s, t)
        self.engine_s += time.process_time() - t0
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", type=Path)
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    if args.package is None:
        from models.fetch import ensure_translation_models

        args.package = ensure_translation_models()["pten"]
    translator = _Timed(LocalTranslator(args.package, threads=args.threads))
    translator.translate(["Bom dia."], "pt", "en")  # load the model outside the timing
    with tempfile.TemporaryDirectory() as tmp:
        src = make_docx(Path(tmp) / "case.docx", args.pages)
        for run in range(args.runs):
            translator.engine_s = 0.0
            load = os.getloadavg()
            t0, c0 = time.perf_counter(), time.process_time()
            out = translate_file(src, Path(tmp) / f"out{run}", translator, PipelineOptions(target="en"))
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            n = out.characters_translated
            print(f"run {run + 1}: {args.pages} pages, {n} characters translated, {wall:.1f} s wall, {cpu:.1f} s CPU "
                  f"({translator.engine_s:.1f} s in the engine): {n / cpu:.0f} chars/s per core, {n / wall:.0f} "
                  f"chars/s wall; threads {args.threads}; load average {load[0]:.1f} → {os.getloadavg()[0]:.1f}; "
                  f"{translator.model_info['name']}")


if __name__ == "__main__":
    main()
