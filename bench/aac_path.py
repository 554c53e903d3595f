"""Where the interviews' MP4 (AAC) copies lose words: decoded samples, plan and model, one at a time.

    python -m bench.aac_path [--only arson,domestic] [--packages int8,fp32,DIR...] [--threads 2]

For each interview (``bench.interviews``): our decoder's samples of the MP4 against faster-whisper's
``decode_audio`` of it (length, largest difference) and against the WAV (SNR, and the SNR of the WAV
taken 16 -> 44.1 -> 16 kHz through the same resampler: what resampling alone costs); the highest VAD
speech probability after the last word (a click that reaches 0.5 becomes a speech region); then the
WAV's chunk plan (VAD windows) transcribed from the WAV's audio and from the MP4's, with each Whisper
package (``int8``/``fp32``: ``models.fetch.ensure_default_model``; or a package directory), beam 5 and
the options ``toex transcribe --beam-size 5`` gives. WER as ``bench.interview_accuracy``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import numpy as np

from bench import interviews, metrics
from bench.whisper_vs_faster_whisper import load, machine, versions
from shared.domain.audio_format import SAMPLE_RATE


def _resampled(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    rs = av.AudioResampler(format="flt", layout="mono", rate=dst)
    out: list[np.ndarray] = []
    for i in range(0, len(x), 4096):
        f = av.AudioFrame.from_ndarray(x[i:i + 4096].reshape(1, -1), format="flt", layout="mono")
        f.sample_rate = src
        out += [g.to_ndarray().reshape(-1) for g in rs.resample(f)]
    out += [g.to_ndarray().reshape(-1) for g in rs.resample(None)]
    return np.concatenate(out)


def _snr_db(x: np.ndarray, ref: np.ndarray) -> float:
    n = min(len(x), len(ref))
    err = x[:n] - ref[:n]
    return float(10 * np.log10(np.sum(ref[:n] ** 2) / max(float(np.sum(err ** 2)), 1e-20)))


def main(argv: list[str] | None = None) -> int:
    from faster_whisper.audio import decode_audio

    from functions.activities import transcription_options
    from functions.local.cli import _options as cli_options
    from functions.local.cli import build_parser
    from models.fetch import ensure_default_model, vad_model_path
    from shared.inference.whisper import WhisperEngine
    from shared.media import encode_flac, iter_audio, load_audio, speech_probabilities
    from shared.media.chunking import plan_chunks

    p = argparse.ArgumentParser(prog="python -m bench.aac_path", description=__doc__.split("\n")[0])
    p.add_argument("--only", default="arson,domestic")
    p.add_argument("--packages", default="int8,fp32")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    print(f"machine: {machine()}\nversions: {versions()}\nload before: {load()}")
    recs = {r.name: r for r in interviews.build()}
    names = args.only.split(",")
    opts = transcription_options(cli_options(build_parser().parse_args(["transcribe", "x", "--beam-size", "5"])))
    print("| file | ours vs fw (MP4): samples, max diff | MP4 vs WAV SNR dB | resampling alone SNR dB "
          "| VAD max after last word (WAV / MP4) |")
    print("|---|---|---|---|---|")
    plans = {}
    for name in names:
        r = recs[name]
        wav = np.concatenate(list(iter_audio(Path(r.wav))))
        mp4 = np.concatenate(list(iter_audio(Path(str(r.mp4)))))
        fw = decode_audio(str(r.mp4))
        diff = float(np.max(np.abs(mp4[:len(fw)] - fw[:len(mp4)])))
        trip = _resampled(_resampled(wav, SAMPLE_RATE, 44100), 44100, SAMPLE_RATE)
        tail = slice(round((r.last_speech_s + 0.5) * SAMPLE_RATE / 512), None)
        vad = [float(speech_probabilities(a, vad_model_path())[tail].max()) for a in (wav, mp4)]
        print(f"| {name} | {len(mp4)} / {len(fw)}, {diff:.1e} | {_snr_db(mp4, wav):.1f} | "
              f"{_snr_db(trip, wav):.1f} | {vad[0]:.2f} / {vad[1]:.2f} |", flush=True)
        store: dict[int, bytes] = {}

        def write(i: int, b: bytes, store: dict[int, bytes] = store) -> str:
            store[i] = b
            return str(i)

        plan = plan_chunks(Path(r.wav), write, vad_model=vad_model_path())
        plans[name] = (plan, {c.index: load_audio(store[c.index]) for c in plan.chunks}, mp4)
    print("\n| package | file | WER % WAV audio | WER % MP4 audio (same windows) |\n|---|---|---|---|")
    for spec in args.packages.split(","):
        pkg = ensure_default_model(spec) if spec in ("int8", "fp32") else Path(spec)
        engine = WhisperEngine(pkg, intra_op_threads=args.threads)
        for name in names:
            plan, wav_chunks, mp4 = plans[name]
            texts: dict[str, list[str]] = {"wav": [], "mp4": []}
            for c in plan.chunks:
                a = round(c.start_s * SAMPLE_RATE)
                cut = load_audio(encode_flac(mp4[a:a + len(wav_chunks[c.index])]))  # as a chunk travels
                clips = {"wav": wav_chunks[c.index], "mp4": cut}
                for media, clip in clips.items():
                    texts[media] += [s.text for s in engine.transcribe(clip, list(c.windows), opts).segments]
            w = {m: 100 * metrics.wer(recs[name].reference, " ".join(t), numbers=True) for m, t in texts.items()}
            print(f"| {spec if spec in ('int8', 'fp32') else pkg.name} | {name} | {w['wav']:.1f} | {w['mp4']:.1f} |",
                  flush=True)
    print(f"\nload after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
