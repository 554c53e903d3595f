"""Do an interview's MP4 (AAC) copy and its WAV get the same Whisper windows? And what does a difference cost?

    python -m bench.interview_plans [--set interview,heldout,dev2,dev3] [--only NAME,...] [--wer] [--threads 2]
    python -m bench.interview_plans --set dev2 --shifts=-32,-16,16,32   # Whisper's spread under moved edges

For each interview with an MP4 copy (``bench.interviews``, ``bench.interview_heldout``) the product's
chunk plan (``shared.media.chunking.plan_chunks``: the high-passed VAD, regions, windows cut by
``_cut``) is made from the WAV and from the MP4, and the windows are compared on the recording's
timeline: the number of windows and the largest move of a window edge. Each plan is also made with the
near-equal-pause rule switched off (``MIN_LAST_WINDOW_S = 0``: the widest pause in the window's second
half always wins), so the table shows where that rule decided a cut. ``--wer``: for every file whose
WAV and MP4 plans differ by more than ``--tolerance`` seconds (or in the number of windows), the MP4's
audio is transcribed through its own plan and through the WAV's (int8 package, beam 5, the options
``toex transcribe --beam-size 5`` gives, as ``bench.aac_path``): the WER difference is what the plan
difference costs. ``--no-highpass``: every plan made with the planning VAD's 150 Hz high-pass swapped
for the identity (as before ``shared.media.highpass``), to see which differences the filter brought.
``--shifts``: each WAV (any set, ``dev2`` = ``bench.interview_dev2``) transcribed through its own plan with
every window edge moved by each shift in ms (engine only, as ``--wer``): Whisper's own spread under cuts
moved by a VAD frame or two, the yardstick for a per-file difference.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench import interviews, metrics
from bench.interviews import Recording
from bench.whisper_vs_faster_whisper import load, machine, versions

Plan = tuple[tuple[float, float], ...]  # absolute window edges, seconds


@contextmanager
def _cut_rule(on: bool) -> Iterator[None]:
    from shared.media import chunking

    saved = chunking.MIN_LAST_WINDOW_S
    chunking.MIN_LAST_WINDOW_S = saved if on else 0.0
    try:
        yield
    finally:
        chunking.MIN_LAST_WINDOW_S = saved


class _Identity:
    def __call__(self, block: np.ndarray) -> np.ndarray:
        return block


@contextmanager
def _highpass(on: bool) -> Iterator[None]:
    from shared.media import chunking

    saved = chunking.HighPass
    chunking.HighPass = saved if on else _Identity  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        chunking.HighPass = saved  # type: ignore[misc]


def plan_of(path: Path, rule: bool = True, highpass: bool = True) -> tuple[Plan, object, dict[int, bytes]]:
    """Absolute windows, the ChunkPlan, and the FLAC chunks by index."""
    from models.fetch import vad_model_path
    from shared.media.chunking import plan_chunks

    store: dict[int, bytes] = {}

    def write(i: int, b: bytes) -> str:
        store[i] = b
        return str(i)

    with _cut_rule(rule), _highpass(highpass):
        plan = plan_chunks(path, write, vad_model=vad_model_path())
    windows = tuple((round(c.start_s + a, 3), round(c.start_s + b, 3)) for c in plan.chunks for a, b in c.windows)
    return windows, plan, store


def edge_move(a: Plan, b: Plan) -> float | None:
    """Largest move of a window edge between two plans with as many windows; None when the counts differ."""
    if len(a) != len(b):
        return None
    return max((abs(x - y) for wa, wb in zip(a, b, strict=True) for x, y in zip(wa, wb, strict=True)), default=0.0)


def _show(p: Plan) -> str:
    return " ".join(f"{a:.2f}-{b:.2f}" for a, b in p)


def _wer_through(rec: Recording, plan: object, chunk_len: dict[int, int], mp4: np.ndarray, engine: object,
                 opts: object) -> float:
    from shared.domain.audio_format import SAMPLE_RATE
    from shared.media import encode_flac, load_audio

    texts: list[str] = []
    for c in plan.chunks:  # type: ignore[attr-defined]
        a = round(c.start_s * SAMPLE_RATE)
        clip = load_audio(encode_flac(mp4[a:a + chunk_len[c.index]]))  # as a chunk travels
        texts += [s.text for s in engine.transcribe(clip, list(c.windows), opts).segments]  # type: ignore[attr-defined]
    return 100 * metrics.wer(rec.reference, " ".join(texts), numbers=True)


def _shift_sweep(recs: list[Recording], args: argparse.Namespace) -> int:
    """Each WAV through its own plan, every window edge moved by each of ``--shifts`` ms (0 included)."""
    from functions.activities import transcription_options
    from functions.local.cli import _options as cli_options
    from functions.local.cli import build_parser
    from models.fetch import ensure_default_model
    from shared.domain.audio_format import SAMPLE_RATE
    from shared.inference.whisper import WhisperEngine
    from shared.media import load_audio

    shifts = [0, *(int(x) for x in args.shifts.split(",") if int(x))]
    opts = transcription_options(cli_options(build_parser().parse_args(["transcribe", "x", "--beam-size", "5"])))
    engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=args.threads)
    print(f"machine: {machine()}\nversions: {versions()}\nload before: {load()}")
    print(f"\n| file (WAV) | words | {' | '.join(f'{d:+d} ms' for d in shifts)} | load |")
    print("|---" * (len(shifts) + 3) + "|")
    errors = [0] * len(shifts)
    for r in recs:
        _, plan, store = plan_of(Path(r.wav))
        cells = []
        for n, d in enumerate(shifts):
            texts: list[str] = []
            for c in plan.chunks:  # type: ignore[attr-defined]
                clip = load_audio(store[c.index])
                top = len(clip) / SAMPLE_RATE
                wins = [(min(max(a + d / 1000, 0.0), top), min(max(b + d / 1000, 0.0), top)) for a, b in c.windows]
                texts += [s.text for s in engine.transcribe(clip, wins, opts).segments]
            w = metrics.wer(r.reference, " ".join(texts), numbers=True)
            errors[n] += round(w * metrics.word_count(r.reference))
            cells.append(f"{100 * w:.1f}")
        print(f"| {r.name} | {metrics.word_count(r.reference)} | {' | '.join(cells)} | {load()} |", flush=True)
    words = sum(metrics.word_count(r.reference) for r in recs)
    print(f"| pooled (errors) | {words} | {' | '.join(str(e) for e in errors)} | |")
    print(f"\nload after: {load()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.interview_plans", description=__doc__.split("\n")[0])
    p.add_argument("--set", default="interview,heldout")
    p.add_argument("--only", default="")
    p.add_argument("--tolerance", type=float, default=0.1, help="seconds of edge move counted as the same plan")
    p.add_argument("--wer", action="store_true", help="transcribe the MP4 through both plans where they differ")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-highpass", action="store_true", help="plan with the VAD's high-pass swapped out")
    p.add_argument("--shifts", default="", help="ms, comma-separated: WER of each WAV through its own plan "
                   "with every window edge moved by each shift (Whisper's spread under a moved cut)")
    args = p.parse_args(argv)
    kinds = set(args.set.split(","))
    only = set(filter(None, args.only.split(",")))
    recs = interviews.recordings(kinds)
    if args.shifts:
        return _shift_sweep([r for r in recs if not only or r.name in only], args)
    recs = [r for r in recs if r.mp4 and (not only or r.name in only)]
    print(f"machine: {machine()}\nversions: {versions()}\nload before: {load()}")
    print("\n| file | windows WAV / MP4 | edge move s (WAV vs MP4) | rule decided a cut (WAV / MP4) | differs |")
    print("|---|---|---|---|---|")
    differing: list[tuple[Recording, tuple[Plan, object, dict[int, bytes]], tuple[Plan, object, dict[int, bytes]]]] = []
    for r in recs:
        hp = not args.no_highpass
        wav, mp4 = plan_of(Path(r.wav), highpass=hp), plan_of(Path(str(r.mp4)), highpass=hp)
        fired = [plan_of(Path(x), rule=False, highpass=hp)[0] != made[0]
                 for x, made in ((r.wav, wav), (str(r.mp4), mp4))]
        move = edge_move(wav[0], mp4[0])
        differs = move is None or move > args.tolerance
        print(f"| {r.name} | {len(wav[0])} / {len(mp4[0])} | {'count differs' if move is None else f'{move:.3f}'} | "
              f"{'yes' if fired[0] else 'no'} / {'yes' if fired[1] else 'no'} | {'YES' if differs else 'no'} |",
              flush=True)
        if differs:
            print(f"|  WAV: {_show(wav[0])} |\n|  MP4: {_show(mp4[0])} |")
            differing.append((r, wav, mp4))
    if args.wer and differing:
        from functions.activities import transcription_options
        from functions.local.cli import _options as cli_options
        from functions.local.cli import build_parser
        from models.fetch import ensure_default_model
        from shared.inference.whisper import WhisperEngine
        from shared.media import iter_audio, load_audio

        opts = transcription_options(cli_options(build_parser().parse_args(["transcribe", "x", "--beam-size", "5"])))
        engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=args.threads)
        print("\n| file (MP4 audio) | WER % through the MP4's plan | through the WAV's plan | load |")
        print("|---|---|---|---|")
        for r, wav, mp4 in differing:
            audio = np.concatenate(list(iter_audio(Path(str(r.mp4)))))
            own = _wer_through(r, mp4[1], {i: len(load_audio(b)) for i, b in mp4[2].items()}, audio, engine, opts)
            other = _wer_through(r, wav[1], {i: len(load_audio(b)) for i, b in wav[2].items()}, audio, engine, opts)
            print(f"| {r.name} | {own:.1f} | {other:.1f} | {load()} |", flush=True)
    print(f"\nload after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
