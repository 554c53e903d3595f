"""Word error rate of our pipeline and of faster-whisper on the interview and long sets.

    python -m bench.interview_accuracy [--set interview,long,heldout] [--systems toex,fw] [--media wav,mp4]
        [--threads N] [--only NAME,...] [--show]

Both systems get the same files (``bench.interviews``; ``heldout``: ``bench.interview_heldout``),
the same weights (Whisper base: our int8
ONNX package exported from the pinned CTranslate2 conversion, and faster-whisper on that
conversion with int8 compute), beam 5, VAD on and the language detected, everything else at each
system's defaults. ``toex`` is the product's own path: ``LocalApp`` (probe, VAD chunk plan,
transcription activities, merge), as ``toex transcribe`` runs it. WER is jiwer's over the
normalised text (``bench.metrics.normalise`` with ``numbers``: digits spelt as words, lower case,
punctuation dropped, apostrophes kept),
per file and pooled over the set. ``late`` counts segments that start after the file's last
word has ended (hallucinations on trailing room tone or a click); ``refused`` the segments or windows
the guards withheld (listed in the transcript's ``skipped``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import interviews, metrics
from bench.interviews import Recording
from bench.whisper_vs_faster_whisper import load, machine, versions

LATE_TOLERANCE_S = 0.3  # a segment starting this soon after the last word still belongs to it


@dataclass(frozen=True)
class Run:
    text: str
    starts: tuple[float, ...]
    seconds: float
    refused: int = 0  # segments the guards withheld (the transcript's ``skipped``)


class Toex:
    label = "toex"

    def __init__(self, threads: int | None, workdir: Path, package: Path | None = None,
                 cli_args: Sequence[str] = ()) -> None:
        from functions.local.app import LocalApp
        from functions.local.cli import _options as cli_options
        from functions.local.cli import build_parser
        from models.fetch import ensure_default_model, vad_model_path
        from shared.settings import Settings

        settings = Settings(mode="local", data_dir=workdir / "toex",
                            whisper_model_dir=package or ensure_default_model("int8"),
                            vad_model_path=vad_model_path(), intra_op_threads=threads)
        self.app = LocalApp(settings, workers=1)
        args = build_parser().parse_args(["transcribe", "x.wav", "--beam-size", "5", "--formats", "json", *cli_args])
        self.options = cli_options(args)  # the job options `toex transcribe` gives (batch 1 at beam 5)

    def transcribe(self, path: Path) -> Run:
        from tests.fixtures.pipeline import transcript_of

        t0 = time.perf_counter()
        job = self.app.run(self.app.submit(path, self.options)[0])
        if job.error:
            raise RuntimeError(f"{path.name}: {job.error}")
        transcript = transcript_of(self.app, job)
        segs = transcript["segments"]
        return Run(" ".join(s["text"] for s in segs), tuple(s["start"] for s in segs), time.perf_counter() - t0,
                   len(transcript.get("skipped") or ()))


class FasterWhisper:
    label = "fw"

    def __init__(self, threads: int | None) -> None:
        from faster_whisper import WhisperModel

        from models.fetch import BASE_SOURCE, source_path

        self.model = WhisperModel(str(source_path(BASE_SOURCE)), device="cpu", compute_type="int8",
                                  cpu_threads=threads or 0, num_workers=1)

    def transcribe(self, path: Path) -> Run:
        t0 = time.perf_counter()
        segments, _ = self.model.transcribe(str(path), beam_size=5, vad_filter=True)
        segs = list(segments)
        return Run(" ".join(s.text.strip() for s in segs), tuple(s.start for s in segs), time.perf_counter() - t0)


def late_segments(rec: Recording, run: Run) -> int:
    return sum(1 for s in run.starts if s > rec.last_speech_s + LATE_TOLERANCE_S)


def set_wer(recs: Sequence[Recording], runs: dict[str, Run]) -> float:
    return metrics.pooled_wer([r.reference for r in recs], [runs[r.name].text for r in recs], numbers=True)


def table(recs: Sequence[Recording], media: str, runs: dict[str, dict[str, Run]]) -> None:
    systems = list(runs)
    head = " | ".join(f"{s} WER % | {s} late | {s} s" for s in systems)
    print(f"\n| file ({media}) | words | audio s | {head} |")
    print("|---" * (3 + 3 * len(systems)) + "|")
    for r in recs:
        cells = " | ".join(f"{100 * metrics.wer(r.reference, runs[s][r.name].text, numbers=True):.1f} | "
                           f"{late_segments(r, runs[s][r.name])} | {runs[s][r.name].seconds:.1f}" for s in systems)
        print(f"| {r.name} | {metrics.word_count(r.reference)} | {r.duration_s:.1f} | {cells} |")
    cells = " | ".join(
        f"**{100 * set_wer(recs, runs[s]):.2f}** | "
        f"{sum(late_segments(r, runs[s][r.name]) for r in recs)} | {sum(x.seconds for x in runs[s].values()):.1f}"
        for s in systems)
    print(f"| all | {sum(metrics.word_count(r.reference) for r in recs)} | "
          f"{sum(r.duration_s for r in recs):.1f} | {cells} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.interview_accuracy", description=__doc__.split("\n")[0])
    p.add_argument("--set", default="interview,long", help="comma-separated: interview, long, "
                   "heldout (bench.interview_heldout), dev2, dev3 (bench.interview_dev2, _dev3)")
    p.add_argument("--systems", default="toex,fw")
    p.add_argument("--media", default="wav", help="wav, mp4 (interviews only) or both")
    p.add_argument("--threads", type=int, default=None, help="threads per system (default: the library's)")
    p.add_argument("--only", default="", help="comma-separated file names")
    p.add_argument("--package", type=Path, default=None, help="toex's Whisper package (default: the int8 one)")
    p.add_argument("--toex-args", default="", help="more `toex transcribe` options for toex (a diagnosis: "
                   "'--batch-size 8' decodes a chunk's windows together, without the previous window's prompt)")
    p.add_argument("--show", action="store_true", help="print each hypothesis (synthetic text only)")
    p.add_argument("--save", type=Path, default=None, help="write every hypothesis and segment start as JSON")
    args = p.parse_args(argv)
    kinds = set(args.set.split(","))
    only = set(filter(None, args.only.split(",")))
    recs = [r for r in interviews.recordings(kinds) if not only or r.name in only]
    print(f"machine: {machine()}\nversions: {versions()}\nload before: {load()}")
    saved: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="toex-acc-") as tmp:
        makers = {"toex": lambda: Toex(args.threads, Path(tmp), args.package, args.toex_args.split()),
                  "fw": lambda: FasterWhisper(args.threads)}
        systems = {s: makers[s]() for s in args.systems.split(",")}
        for media in args.media.split(","):
            group = [r for r in recs if media == "wav" or r.mp4]
            runs: dict[str, dict[str, Run]] = {s: {} for s in systems}
            for r in group:
                path = Path(r.wav if media == "wav" else str(r.mp4))
                for label, system in systems.items():
                    runs[label][r.name] = run = system.transcribe(path)
                    rate = 100 * metrics.wer(r.reference, run.text, numbers=True)
                    print(f"  {r.name}.{media} {label}: WER {rate:.1f} % "
                          f"late {late_segments(r, run)} refused {run.refused} ({run.seconds:.1f} s, load {load()})",
                          flush=True)
                    if args.show:
                        print(f"    {run.text}")
            table(group, media, runs)
            saved[media] = {s: {n: asdict(x) for n, x in by.items()} for s, by in runs.items()}
    if args.save:
        args.save.write_text(json.dumps(saved, indent=1))
    print(f"\nload after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
