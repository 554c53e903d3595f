"""Whisper base int8 quantization schemes on this CPU: WER and speed of each (issue 8, int8 on AVX2).

    python -m bench.int8_quantization [--schemes current,rr,rr-pc,u8u8] [--threads 2] [--beams 1,5]

Each scheme re-quantizes the fp32 package's ONNX files (``models.fetch.ensure_default_model("fp32")``)
with ``models.export.onnx_export.to_int8`` into ``<cache>/bench/int8-schemes/<scheme>/`` (built once),
then runs ``WhisperEngine`` clip by clip over the engine benchmark's clips (``bench.dataset``: the
pyannote sample from 6.3 s and six espeak-ng interview paragraphs), and also the int8 test's own check
(``tests/inference/test_whisper_real.py::test_int8_package_wer``: the pyannote sample, window 6-30 s,
beam 1, English, bound 0.30). Speed is audio seconds over wall seconds of the clip-by-clip pass.

Schemes (the encoder is per tensor and the decoder's MatMuls per channel unless named):
``current`` the export before the fix (int8 weights, full range); ``rr`` 7-bit weights (``reduce_range``);
``rr-pc`` 7-bit weights, encoder per channel too; ``u8u8`` uint8 weights (ONNX Runtime's u8u8 kernel
does not saturate on AVX2, but VNNI has no fast u8u8 path); ``rr-fe`` 7-bit decoder weights with the
encoder left in float32 (the exporter's scheme since the MP4 fix: the int8 encoder lost words on AAC audio).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from bench import dataset, metrics
from bench.whisper_vs_faster_whisper import load, machine, versions

SCHEMES: dict[str, dict[str, object]] = {
    "current": {"weight_type": "QInt8", "reduce_range": False, "encoder_per_channel": False},
    "rr": {"weight_type": "QInt8", "reduce_range": True, "encoder_per_channel": False},
    "rr-pc": {"weight_type": "QInt8", "reduce_range": True, "encoder_per_channel": True},
    "u8u8": {"weight_type": "QUInt8", "reduce_range": False, "encoder_per_channel": False},
    "pc": {"weight_type": "QInt8", "reduce_range": False, "encoder_per_channel": True},
    "rr-fe": {"weight_type": "QInt8", "reduce_range": True, "encoder_per_channel": False, "quantize_encoder": False},
}
TEST_WINDOW = (6.0, 30.0)
ONNX_FILES = ("encoder_model.onnx", "decoder_model_merged.onnx")


def build_scheme(name: str, fp32: Path, root: Path) -> Path:
    """The fp32 package re-quantized with scheme ``name`` (a bench-only package, built once)."""
    from models.export import onnx_export as ox
    from models.export.build import write_manifest
    from shared.inference.package import open_package

    out = root / name
    if (out / "model.json").is_file():
        return out
    tmp = root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in fp32.iterdir():  # copies, never links: the export rewrites files in place
        if f.name != "model.json":
            shutil.copyfile(f, tmp / f.name)
    scheme = SCHEMES[name]
    applied = ox.to_int8(tmp, str(scheme["weight_type"]), fast_decoder=True, reduce_range=bool(scheme["reduce_range"]),
                         encoder_per_channel=bool(scheme["encoder_per_channel"]),
                         quantize_encoder=bool(scheme.get("quantize_encoder", True)))
    fields = {k: v for k, v in json.loads((fp32 / "model.json").read_text()).items()
              if k not in ("files", "format", "created_at")}
    fields.update(name=f"whisper-base-int8-{name}", precision="int8", graph_optimizations=applied,
                  quantization={"bench_scheme": name, **scheme})
    write_manifest(tmp, fields)
    open_package(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    from models.fetch import ensure_default_model, sample_path
    from shared.domain.transcript import TranscriptionOptions
    from shared.inference.whisper import WhisperEngine
    from shared.media import load_audio
    from shared.settings import cache_root

    p = argparse.ArgumentParser(prog="python -m bench.int8_quantization", description=__doc__.split("\n")[0])
    p.add_argument("--schemes", default="current,rr,rr-pc,u8u8")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--beams", default="1,5")
    args = p.parse_args(argv)
    print(f"machine: {machine()}\nversions: {versions()}\nload before: {load()}")
    fp32 = ensure_default_model("fp32")
    root = cache_root() / "bench" / "int8-schemes"
    clips = dataset.build()
    audio_s = sum(c.duration for c in clips)
    sample = load_audio(sample_path())
    ref = clips[0].reference
    print("| scheme | test WER (bound 0.30) | beam | WER % all | WER % real | WER % synth | audio s / wall s | load |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.schemes.split(","):
        t0 = time.perf_counter()
        pkg = build_scheme(name, fp32, root)
        built = time.perf_counter() - t0
        engine = WhisperEngine(pkg, intra_op_threads=args.threads)
        r = engine.transcribe(sample, [TEST_WINDOW], TranscriptionOptions(language="en", beam_size=1))
        test_wer = metrics.wer(ref, " ".join(s.text for s in r.segments))
        for beam in (int(b) for b in args.beams.split(",")):
            opts = TranscriptionOptions(language="en", beam_size=beam, batch_size=1)
            engine.transcribe(clips[1].audio, None, opts)  # warm-up
            t0 = time.perf_counter()
            texts = [" ".join(s.text for s in engine.transcribe(c.audio, None, opts).segments) for c in clips]
            wall = time.perf_counter() - t0
            w = {k: 100 * metrics.pooled_wer([c.reference for c in clips if k in ("all", c.kind)],
                                             [t for c, t in zip(clips, texts, strict=True) if k in ("all", c.kind)])
                 for k in ("all", "real", "synthetic")}
            print(f"| {name} | {test_wer:.3f} | {beam} | {w['all']:.2f} | {w['real']:.2f} | {w['synthetic']:.2f} | "
                  f"{audio_s / wall:.2f} | {load()} |", flush=True)
        print(f"  ({name}: package built in {built:.0f} s, {pkg})", flush=True)
    print(f"load after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
