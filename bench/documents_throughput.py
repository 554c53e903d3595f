"""Characters per second per core for document translation (reading, segmentation, placeholders,
the engine, reassembly and writing), and the peak RSS.

    python -m bench.documents_throughput PACKAGE_DIR [--source pt] [--pages 20] [--threads 1]

PACKAGE_DIR: an exported translation package (the copy model of tests/fixtures/copy_model.py, or
a real pt→en package once issue 11's exporter lands). The document is a DOCX of N pages of
Portuguese paragraphs from the copy model's word list, with tables, numbers and references.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from shared.documents.job import translate_file
from shared.documents.pipeline import PipelineOptions
from shared.inference.translation import TranslationEngine


class _Engine:
    def __init__(self, engine: TranslationEngine, beam: int) -> None:
        self.engine, self.beam = engine, beam

    @property
    def model_info(self) -> dict[str, str]:
        return self.engine.model_info

    def supports(self, s: str, t: str) -> bool:
        return self.engine.supports(s, t)

    def translate(self, texts: list[str], s: str, t: str) -> list[str]:
        return self.engine.translate(texts, s, t, beam_size=self.beam)


def make_docx(path: Path, pages: int, seed: int = 0) -> Path:
    import docx

    from tests.fixtures.copy_model import random_sentence

    rng = random.Random(seed)
    d = docx.Document()
    for page in range(pages):
        for _ in range(6):
            d.add_paragraph(" ".join(random_sentence(rng, placeholders=False) for _ in range(3)))
        t = d.add_table(rows=2, cols=2)
        for cell in (c for row in t.rows for c in row.cells):
            cell.text = f"{random_sentence(rng, placeholders=False)} MG/{page}/00{rng.randint(1, 9)}"
        if page + 1 < pages:
            d.add_page_break()
    d.save(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("package", type=Path)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--beam", type=int, default=1)
    args = ap.parse_args()
    engine = _Engine(TranslationEngine(args.package, intra_op_threads=args.threads), args.beam)
    with tempfile.TemporaryDirectory() as tmp:
        src = make_docx(Path(tmp) / "long.docx", args.pages)
        t0, c0 = time.perf_counter(), time.process_time()
        out = translate_file(src, Path(tmp) / "out", engine, PipelineOptions(target="en", source="pt"))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.pages} pages, {out.characters_translated} characters translated, {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU: {out.characters_translated / wall:.0f} chars/s wall, "
          f"{out.characters_translated / cpu:.0f} chars/s per CPU-second; peak RSS {peak:.0f} MB; "
          f"threads {args.threads}, beam {args.beam}")


if __name__ == "__main__":
    main()
