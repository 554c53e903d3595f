"""Our Whisper ONNX engine against faster-whisper on the same clips, weights, beam and threads.

    python -m bench.whisper_vs_faster_whisper [--threads N] [--repeats R] [--beams 5,1]
        [--modes clip,batched] [--engines ours-int8,ours-fp32,fw-int8] [--profile]

Both engines see the same clips (``bench.dataset``), each transcribed as one window of at most
30 s, English forced, temperature 0 only, timestamps on, no VAD, no previous-text conditioning.
``clip`` mode transcribes clip by clip; ``batched`` concatenates the clips and hands their bounds
to our engine as windows (``batch_size``) and to faster-whisper's ``BatchedInferencePipeline`` as
``clip_timestamps``. After one warm-up run per engine, runs are interleaved (the engine order
rotates every repeat) and the median is reported with the min-max spread. Throughput is audio
seconds per wall second; WER is over all clips (``bench.metrics``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bench import dataset, metrics
from bench.dataset import Clip
from bench.timers import Stopwatch, Timed, breakdown
from shared.domain.audio_format import SAMPLE_RATE
from shared.domain.transcript import TranscriptionOptions

BASELINE = "fw-int8"


class Engine(Protocol):
    label: str

    def per_clip(self, clips: Sequence[Clip], beam: int) -> list[str]: ...

    def batched(self, clips: Sequence[Clip], beam: int, batch_size: int) -> list[str]: ...

    def instrument(self, watch: Stopwatch) -> None: ...


def _concat(clips: Sequence[Clip]) -> tuple[np.ndarray, list[tuple[float, float]]]:
    bounds, t = [], 0.0
    for c in clips:
        bounds.append((t, t + c.duration))
        t += c.duration
    return np.concatenate([c.audio for c in clips]), bounds


def _by_clip(bounds: list[tuple[float, float]], segments: Sequence[tuple[float, str]]) -> list[str]:
    """Texts joined per clip, a segment going to the clip its start falls in."""
    starts = [s for s, _ in bounds]
    out: list[list[str]] = [[] for _ in bounds]
    for start, text in segments:
        out[max(0, bisect_right(starts, start + 1e-3) - 1)].append(text.strip())
    return [" ".join(t) for t in out]


class Ours:
    def __init__(self, precision: str, threads: int) -> None:
        from models.fetch import ensure_default_model
        from shared.inference.whisper import WhisperEngine

        self.label = f"ours-{precision}"
        self.engine = WhisperEngine(ensure_default_model(precision), providers=("CPUExecutionProvider",),
                                    intra_op_threads=threads)

    @staticmethod
    def _options(beam: int, batch_size: int) -> TranscriptionOptions:
        return TranscriptionOptions(beam_size=beam, language="en", temperatures=(0.0,), batch_size=batch_size)

    def per_clip(self, clips: Sequence[Clip], beam: int) -> list[str]:
        opts = self._options(beam, 1)
        return [" ".join(s.text for s in self.engine.transcribe(c.audio, [(0.0, c.duration)], opts).segments)
                for c in clips]

    def batched(self, clips: Sequence[Clip], beam: int, batch_size: int) -> list[str]:
        audio, bounds = _concat(clips)
        res = self.engine.transcribe(audio, bounds, self._options(beam, batch_size))
        return _by_clip(bounds, [(s.start, s.text) for s in res.segments])

    def instrument(self, watch: Stopwatch) -> None:
        e = self.engine
        e.features = Timed(e.features, "features", ["batch"], watch)  # type: ignore[assignment]
        e.encoder = Timed(e.encoder, "encoder", ["__call__"], watch)  # type: ignore[assignment]
        e.decoder = Timed(e.decoder, "decoder", ["start", "step", "reorder", "to_host", "to_device"],  # type: ignore[assignment]
                          watch)


class Faster:
    def __init__(self, compute_type: str, threads: int) -> None:
        from faster_whisper import WhisperModel

        from models.fetch import BASE_SOURCE, source_path

        self.label = f"fw-{compute_type}"
        self.model = WhisperModel(str(source_path(BASE_SOURCE)), device="cpu", compute_type=compute_type,
                                  cpu_threads=threads, num_workers=1)

    @staticmethod
    def _kwargs(beam: int) -> dict[str, object]:
        return {"language": "en", "beam_size": beam, "temperature": 0.0, "vad_filter": False,
                "condition_on_previous_text": False, "without_timestamps": False}

    def per_clip(self, clips: Sequence[Clip], beam: int) -> list[str]:
        out = []
        for c in clips:
            segments, _ = self.model.transcribe(c.audio, **self._kwargs(beam))
            out.append(" ".join(s.text.strip() for s in segments))
        return out

    def batched(self, clips: Sequence[Clip], beam: int, batch_size: int) -> list[str]:
        from faster_whisper import BatchedInferencePipeline

        audio, bounds = _concat(clips)
        stamps = [{"start": s, "end": e} for s, e in bounds]
        segments, _ = BatchedInferencePipeline(self.model).transcribe(
            audio, clip_timestamps=stamps, batch_size=batch_size, **self._kwargs(beam))
        return _by_clip(bounds, [(s.start, s.text) for s in segments])

    def instrument(self, watch: Stopwatch) -> None:
        m = self.model
        m.feature_extractor = Timed(m.feature_extractor, "features", ["__call__"], watch)
        m.model = Timed(m.model, "ct2", ["encode", "generate", "detect_language", "align"], watch)


def make_engine(label: str, threads: int) -> Engine:
    kind, _, precision = label.partition("-")
    if kind == "ours":
        return Ours(precision, threads)
    if kind == "fw":
        return Faster(precision, threads)
    raise ValueError(f"unknown engine {label!r} (ours-int8, ours-fp32, fw-int8, fw-float32)")


@dataclass
class Result:
    mode: str
    beam: int
    label: str
    seconds: list[float] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)

    def throughput(self, audio_s: float) -> tuple[float, float, float]:
        """Median, min and max audio seconds per wall second."""
        rates = [audio_s / s for s in self.seconds]
        return statistics.median(rates), min(rates), max(rates)


def run_once(engine: Engine, clips: Sequence[Clip], mode: str, beam: int, batch_size: int) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    texts = engine.per_clip(clips, beam) if mode == "clip" else engine.batched(clips, beam, batch_size)
    return time.perf_counter() - t0, texts


def corpus_wer(clips: Sequence[Clip], texts: Sequence[str], kind: str | None = None) -> float:
    pairs = [(c.reference, t) for c, t in zip(clips, texts, strict=True) if kind in (None, c.kind)]
    return 100 * metrics.wer(" ".join(r for r, _ in pairs), " ".join(h for _, h in pairs))


def machine() -> str:
    info = {}
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{info.get('Model name', platform.processor())}, {os.cpu_count()} logical CPUs "
            f"({info.get('Thread(s) per core', '?')} thread(s)/core), {mem_gib:.1f} GiB RAM")


def versions() -> str:
    import ctranslate2
    import faster_whisper
    import onnxruntime

    return (f"python {platform.python_version()}, onnxruntime {onnxruntime.__version__}, "
            f"faster-whisper {faster_whisper.__version__}, ctranslate2 {ctranslate2.__version__}, "
            f"{dataset.espeak_version()}")


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(results: list[Result], clips: Sequence[Clip]) -> None:
    audio_s = sum(c.duration for c in clips)
    base = {(r.mode, r.beam): r.throughput(audio_s)[0] for r in results if r.label == BASELINE}
    print("| mode | beam | engine | WER % all | WER % real | WER % synth | audio s / wall s (median) "
          "| spread (min-max) | vs fw-int8 | runs | same text every run |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        med, lo, hi = r.throughput(audio_s)
        ratio = f"{med / base[(r.mode, r.beam)]:.2f}x" if (r.mode, r.beam) in base else "-"
        texts = r.texts[-1]
        print(f"| {r.mode} | {r.beam} | {r.label} | {corpus_wer(clips, texts):.2f} "
              f"| {corpus_wer(clips, texts, 'real'):.2f} | {corpus_wer(clips, texts, 'synthetic'):.2f} "
              f"| {med:.2f} | {lo:.2f}-{hi:.2f} | {ratio} | {len(r.seconds)} "
              f"| {all(t == texts for t in r.texts)} |")


def profile(engines: dict[str, Engine], clips: Sequence[Clip], modes: list[str], beams: list[int],
            batch_size: int) -> None:
    """One instrumented run per engine and configuration: where the wall time goes."""
    watch = Stopwatch()
    for e in engines.values():
        e.instrument(watch)
    for mode in modes:
        for beam in beams:
            for label, e in engines.items():
                watch.clear()
                total, _ = run_once(e, clips, mode, beam, batch_size)
                print(f"\nprofile {label} mode={mode} beam={beam}: total {total:.2f} s")
                for part, sec, calls in breakdown(watch, total):
                    per = f", {1000 * sec / calls:.2f} ms/call" if calls else ""
                    print(f"  {part:<44} {sec:7.2f} s {100 * sec / total:5.1f} %  ({calls} calls{per})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.whisper_vs_faster_whisper", description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for both engines")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per engine and configuration")
    p.add_argument("--beams", default="5,1")
    p.add_argument("--modes", default="clip,batched")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--engines", default="ours-int8,ours-fp32,fw-int8")
    p.add_argument("--profile", action="store_true", help="also run once instrumented and print a breakdown")
    args = p.parse_args(argv)
    beams = [int(b) for b in args.beams.split(",")]
    modes = [m for m in args.modes.split(",") if m]
    if set(modes) - {"clip", "batched"}:
        p.error("modes: clip, batched")

    clips = dataset.build()
    audio_s = sum(c.duration for c in clips)
    print(f"machine: {machine()}\nversions: {versions()}\nthreads: {args.threads}  repeats: {args.repeats}  "
          f"batch size: {args.batch_size}")
    print(f"clips: {len(clips)}, {audio_s:.1f} s audio "
          f"({sum(c.duration for c in clips if c.kind == 'real'):.1f} s real, "
          f"{sum(c.duration for c in clips if c.kind == 'synthetic'):.1f} s synthetic)  "
          f"sample rate {SAMPLE_RATE}")
    engines = {label: make_engine(label, args.threads) for label in args.engines.split(",")}
    results: list[Result] = []
    for mode in modes:
        for beam in beams:
            rows = {label: Result(mode, beam, label) for label in engines}
            for e in engines.values():  # warm-up
                run_once(e, clips, mode, beam, args.batch_size)
            print(f"mode={mode} beam={beam}: load before {load()}", flush=True)
            order = list(engines)
            for rep in range(args.repeats):
                for label in order[rep % len(order):] + order[:rep % len(order)]:
                    sec, texts = run_once(engines[label], clips, mode, beam, args.batch_size)
                    rows[label].seconds.append(sec)
                    rows[label].texts.append(texts)
                    print(f"  run {rep + 1} {label}: {sec:.2f} s ({audio_s / sec:.2f} audio s/s)", flush=True)
            print(f"  load after {load()}", flush=True)
            results += rows.values()
    print()
    print_table(results, clips)
    if args.profile:
        profile(engines, clips, modes, beams, args.batch_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
