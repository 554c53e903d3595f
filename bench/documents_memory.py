"""Peak RSS of translating a long document with a real model (issue 12: a 500-page document in
bounded memory), with the RSS sampled through the run so the stage that holds memory shows.

    python -m bench.documents_memory [--pages 500] [--package DIR] [--threads 1]

The document is a generated Portuguese DOCX (bench/documents_text.py, ~2,200 characters a page).
Prints RSS after loading the models (translation, language identification), after generating the
input, the peak during translation, and the time; the characters translated and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from bench.documents_text import make_docx
from shared.adapters.inference_local import LocalTranslator
from shared.documents.job import translate_file
from shared.documents.langid import identify
from shared.documents.pipeline import PipelineOptions


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.stop = 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--package", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.package is None:
        from models.fetch import ensure_translation_models

        args.package = ensure_translation_models()["pten"]
    translator = LocalTranslator(args.package, threads=args.threads)
    translator.translate(["Bom dia."], "pt", "en")
    identify("O suspeito saiu de casa de manhã.")  # py3langid's model (~80 MB) is loaded once per process
    loaded = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        src = make_docx(Path(tmp) / "long.docx", args.pages)
        generated = rss_mb()
        load = os.getloadavg()
        sampler = _Sampler()
        sampler.start()
        t0 = time.perf_counter()
        out = translate_file(src, Path(tmp) / "out", translator, PipelineOptions(target="en"))
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sizes = {p.name: p.stat().st_size for p in (src, out.translated, out.bilingual, out.report)}
    peak = max(sampler.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"{args.pages} pages ({sizes['long.docx'] / 1e3:.0f} kB DOCX), {out.characters_translated} characters "
          f"translated in {wall:.0f} s; RSS: model loaded {loaded:.0f} MB, input generated {generated:.0f} MB, "
          f"peak {peak:.0f} MB (+{peak - generated:.0f} MB for the translation); outputs "
          + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in sizes.items() if k != "long.docx")
          + f"; load average {load[0]:.1f} → {os.getloadavg()[0]:.1f}; threads {args.threads}")


if __name__ == "__main__":
    main()
