"""Is a WER gap to faster-whisper the window plan or the decoding? Each system through the other's windows.

    python -m bench.interview_windows --set dev2 [--runs fw-plan,toex-plan,fw-seek,toex-seek] [--threads 2]

Runs (every one on each WAV, beam 5, int8, the same CTranslate2 weights as ``bench.interview_accuracy``):

* ``fw-plan``: faster-whisper with ``clip_timestamps`` set to the product's planned windows
  (``shared.media.chunking.plan_chunks`` as ``bench.interview_plans`` makes them), ``vad_filter=False``,
  its other defaults (temperature fallback, previous text). ``fw-plan-t0``: the same at temperature 0 only
  (the product's options).
* ``toex-plan``: our engine (``WhisperEngine``, the options ``toex transcribe --beam-size 5`` gives) over
  the same windows, one call per chunk as the pipeline makes it.
* ``fw-seek``: faster-whisper on its own VAD region (``get_speech_timestamps`` with its defaults, as
  ``vad_filter=True``; the speech is not concatenated, the regions are given as ``clip_timestamps``):
  it seeks through the region by timestamps. The seek of each of its 30 s windows is recorded, and
  ``toex-seek`` decodes with our engine over windows from one seek to the next (the spans faster-whisper
  kept), so the converse can be read.
* ``toex-plan-fwfeat``: ``toex-plan`` with faster-whisper's features: the log-mel of the whole file
  (one dynamic-range clamp, ``max - 8``, for the file) sliced per window and padded with zeros in the
  log-mel domain (``pad_or_trim``), where ours zero-pads each window's audio to 30 s before the STFT
  (openai-whisper's way).

* ``toex-span-seek``: our engine over each chunk's windows joined into one span where they meet;
  ``toex-region-seek``: over faster-whisper's VAD region. Both are windows longer than 30 s: with the
  engine of branch ``dev2-seek`` they are read 30 s at a time from the last closing timestamp (faster-whisper's
  seek); with main's engine they are cut into fixed 30 s pieces.

The per-run pooled errors say which side the gap is on; ``--show`` prints each hypothesis (synthetic text).
Figures: docs/benchmarks.md, "dev2: the gap is the window plan".
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from bench import metrics
from bench.interviews import Recording
from bench.whisper_vs_faster_whisper import load, machine, versions

Windows = list[tuple[float, float]]


def _recordings(kinds: set[str], only: set[str]) -> list[Recording]:
    from bench import interviews

    recs = interviews.recordings(kinds)
    return [r for r in recs if not only or r.name in only]


def _audio(path: Path) -> np.ndarray:
    from shared.media import iter_audio

    return np.concatenate(list(iter_audio(path)))


def _plan(path: Path) -> tuple[list[tuple[float, Windows]], dict[float, np.ndarray]]:
    """The product's chunks: (chunk start, windows relative to it), and each chunk's audio as it travels
    (FLAC: 16-bit samples), by chunk start."""
    from bench.interview_plans import plan_of
    from shared.media import load_audio

    _, plan, store = plan_of(path)
    chunks = plan.chunks  # type: ignore[attr-defined]
    return [(c.start_s, list(c.windows)) for c in chunks], {c.start_s: load_audio(store[c.index]) for c in chunks}


def _spans(chunks: list[tuple[float, Windows]]) -> list[tuple[float, Windows]]:
    """Each chunk's windows joined where they meet (one span per run of touching windows)."""
    out: list[tuple[float, Windows]] = []
    for start, wins in chunks:
        joined: Windows = []
        for a, b in wins:
            if joined and a - joined[-1][1] < 1e-3:
                joined[-1] = (joined[-1][0], b)
            else:
                joined.append((a, b))
        out.append((start, joined))
    return out


class FwFeatures:
    """faster-whisper's features for our engine: windows cut from one log-mel of the whole file."""

    def __init__(self, audio: np.ndarray, n_mels: int = 80) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        self.mel = FeatureExtractor(feature_size=n_mels)(audio)  # (n_mels, frames), padded by 160 samples
        self.offset = 0.0  # seconds of the current call's audio start (set per chunk)
        self.spans: list[tuple[int, int]] = []  # frames of the windows of the next batch (set by clips())

    def clips(self, audio: np.ndarray, windows: Windows) -> list[np.ndarray]:
        self.spans = [(round((self.offset + s) * 100), round((self.offset + e) * 100)) for s, e in windows]
        return [audio[round(s * 16000):round(e * 16000)] for s, e in windows]

    def batch(self, clips: list[np.ndarray]) -> np.ndarray:
        from faster_whisper.audio import pad_or_trim

        out = []
        assert len(self.spans) == len(clips)
        for (a, b) in self.spans:
            out.append(pad_or_trim(self.mel[:, a:b]))
        return np.stack(out).astype(np.float32)


class Fw:
    def __init__(self, threads: int) -> None:
        from faster_whisper import WhisperModel

        from models.fetch import BASE_SOURCE, source_path

        self.model = WhisperModel(str(source_path(BASE_SOURCE)), device="cpu", compute_type="int8",
                                  cpu_threads=threads, num_workers=1)

    def run(self, audio: np.ndarray, clips: Windows, t0_only: bool = False) -> tuple[str, list[float]]:
        flat = [x for w in clips for x in w]
        kw: dict[str, Any] = {"temperature": 0.0} if t0_only else {}
        segs, _ = self.model.transcribe(audio, beam_size=5, vad_filter=False, clip_timestamps=flat, **kw)
        segs = list(segs)
        seeks = sorted({s.seek / 100 for s in segs})
        return " ".join(s.text.strip() for s in segs), seeks

    def region(self, audio: np.ndarray) -> Windows:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        return [(c["start"] / 16000, c["end"] / 16000) for c in get_speech_timestamps(audio, VadOptions())]


class Toex:
    def __init__(self, threads: int) -> None:
        from functions.activities import transcription_options
        from functions.local.cli import _options as cli_options
        from functions.local.cli import build_parser
        from models.fetch import ensure_default_model
        from shared.inference.whisper import WhisperEngine

        self.opts = transcription_options(cli_options(build_parser().parse_args(["transcribe", "x", "--beam-size",
                                                                                "5"])))
        self.engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=threads)
        self.own = self.engine.features

    def run(self, audio: np.ndarray, chunks: list[tuple[float, Windows]], fw_features: bool = False,
            flac: dict[float, np.ndarray] | None = None) -> str:
        from shared.domain.audio_format import SAMPLE_RATE

        texts: list[str] = []
        feats = FwFeatures(audio) if fw_features else None
        for start, wins in chunks:
            a = round(start * SAMPLE_RATE)
            clip = flac[start] if flac is not None and start in flac else audio[a:]
            if feats is not None:
                feats.offset = start
                self.engine.features = feats  # type: ignore[assignment]
                self.engine._clips = feats.clips  # type: ignore[method-assign,assignment]
            try:
                texts += [s.text for s in self.engine.transcribe(clip, wins, self.opts).segments]
            finally:
                if feats is not None:
                    self.engine.features = self.own
                    del self.engine._clips
        return " ".join(texts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.interview_windows", description=__doc__.split("\n")[0])
    p.add_argument("--set", default="dev2")
    p.add_argument("--only", default="")
    p.add_argument("--runs", default="fw-plan,toex-plan,fw-seek,toex-seek")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--show", action="store_true")
    args = p.parse_args(argv)
    recs = _recordings(set(args.set.split(",")), set(filter(None, args.only.split(","))))
    runs = args.runs.split(",")
    print(f"machine: {machine()}\nversions: {versions()}\nload before: {load()}")
    fw = Fw(args.threads) if any(r.startswith("fw") or r in ("toex-seek", "toex-region-seek") for r in runs) else None
    toex = Toex(args.threads) if any(r.startswith("toex") for r in runs) else None
    errors = {r: 0 for r in runs}
    for rec in recs:
        audio = _audio(Path(rec.wav))
        chunks, flac = _plan(Path(rec.wav))
        plan = [(c + a, c + b) for c, ws in chunks for a, b in ws]
        print(f"\n{rec.name}: plan {' '.join(f'{a:.2f}-{b:.2f}' for a, b in plan)}", flush=True)
        seeks: list[float] = []
        region: Windows = []
        for run in runs:
            if run in ("fw-plan", "fw-plan-t0"):
                assert fw is not None
                text, s = fw.run(audio, plan, t0_only=run.endswith("t0"))
                note = f"seeks {s}"
            elif run == "fw-seek":
                assert fw is not None
                region = fw.region(audio)
                text, seeks = fw.run(audio, region)
                note = f"region {region} seeks {seeks}"
            elif run == "toex-seek":
                assert fw is not None and toex is not None
                if not seeks:
                    region = fw.region(audio)
                    seeks = fw.run(audio, region)[1]
                edges = [*seeks, region[-1][1]]
                wins = [(edges[k], edges[k + 1]) for k in range(len(seeks))]
                text = toex.run(audio, [(0.0, wins)])
                note = f"windows {wins}"
            elif run in ("toex-plan", "toex-plan-fwfeat"):
                assert toex is not None
                text = toex.run(audio, chunks, fw_features=run.endswith("fwfeat"),
                                flac=None if run.endswith("fwfeat") else flac)
                note = ""
            elif run == "toex-span-seek":
                assert toex is not None
                spans = _spans(chunks)
                text = toex.run(audio, spans, flac=flac)
                note = f"spans {spans}"
            elif run == "toex-region-seek":
                assert fw is not None and toex is not None
                region = region or fw.region(audio)
                text = toex.run(audio, [(0.0, region)])
                note = f"region {region}"
            else:
                raise SystemExit(f"unknown run {run}")
            w = metrics.wer(rec.reference, text, numbers=True)
            n = round(w * metrics.word_count(rec.reference))
            errors[run] += n
            print(f"  {run}: WER {100 * w:.1f} % ({n} errors) {note} (load {load()})", flush=True)
            if args.show:
                print(f"    {text}")
    words = sum(metrics.word_count(r.reference) for r in recs)
    print("\n| run | errors | WER % |\n|---|---|---|")
    for run in runs:
        print(f"| {run} | {errors[run]} | {100 * errors[run] / words:.2f} |")
    print(f"\nload after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
