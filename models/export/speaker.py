"""Export Resemblyzer's GE2E speaker encoder (pretrained.pt) to a verified ONNX package.

    python -m models.export speaker SOURCE OUT [--parity-audio WAV] [--force]

SOURCE is the directory ``shared.assets.fetch_speaker_assets`` unpacks from the pinned Resemblyzer
wheel (``resemblyzer/`` with ``pretrained.pt``). The PyTorch reference is Resemblyzer's own
``VoiceEncoder`` (3-layer LSTM 40→256, linear 256→256, ReLU, L2 norm), imported from that
directory; it needs torch, librosa and webrtcvad (exporter requirements), never at inference.

Parity, recorded in the manifest and required to pass: on real speech (the parity WAV), 1.5 s
windows every 0.5 s go through (a) Resemblyzer's mel front end (librosa) + the PyTorch module and
(b) our numpy front end (``shared.diarization.features``) + the ONNX graph under onnxruntime;
the embeddings must agree to a cosine similarity ≥ 0.9999 on every window.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from shared.clock import iso_utc
from shared.diarization.features import FRAMES_PER_SECOND, HOP, N_MELS, mel_spectrogram
from shared.diarization.package import GRAPH, TASK, open_speaker_package
from shared.domain.audio_format import SAMPLE_RATE
from shared.hashing import sha256_file
from shared.inference.package import FORMAT, MANIFEST, hash_files

from .manifest import exporter_versions, install_package
from .parity import load_audio

OPSET = 17
MIN_COSINE = 0.9999
PARITY_WINDOW_S, PARITY_STEP_S, PARITY_SECONDS = 1.5, 0.5, 30.0
EXPORTER_PACKAGES = ("torch", "onnx", "onnxruntime", "librosa", "numpy")


def progress(msg: str) -> None:
    print(f"[models.export] {msg}", file=sys.stderr, flush=True)


def load_resemblyzer(source: Path) -> tuple[Any, Any]:
    """(VoiceEncoder in eval mode on the CPU, resemblyzer.audio) from the unpacked wheel directory."""
    import torch

    weights = source / "resemblyzer" / "pretrained.pt"
    if not weights.is_file():
        raise ValueError(f"{source}: no resemblyzer/pretrained.pt (run python -m models.fetch first)")
    sys.path.insert(0, str(source))
    try:
        voice_encoder = importlib.import_module("resemblyzer.voice_encoder")
        audio = importlib.import_module("resemblyzer.audio")
    finally:
        sys.path.remove(str(source))
    model = voice_encoder.VoiceEncoder(device="cpu", verbose=False, weights_fpath=weights)
    state = torch.load(weights, map_location="cpu")["model_state"]
    # VoiceEncoder loads with strict=False: make sure every parameter came from the checkpoint
    missing = set(model.state_dict()) - set(state)
    if missing:
        raise ValueError(f"pretrained.pt lacks parameters {sorted(missing)}")
    return model.eval(), audio


def export_graph(model: Any, path: Path) -> None:
    import torch

    dummy = torch.zeros(2, 150, N_MELS)
    torch.onnx.export(model, (dummy,), str(path), input_names=["mels"], output_names=["embeddings"],
                      dynamic_axes={"mels": {0: "batch", 1: "frames"}, "embeddings": {0: "batch"}},
                      opset_version=OPSET, dynamo=False)


def parity_windows(audio: np.ndarray) -> list[np.ndarray]:
    n, step = round(PARITY_WINDOW_S * SAMPLE_RATE), round(PARITY_STEP_S * SAMPLE_RATE)
    return [audio[s : s + n] for s in range(0, max(1, audio.size - n + 1), step)]


def check_parity(model: Any, rz_audio: Any, graph: Path, audio: np.ndarray, label: str) -> dict[str, Any]:
    """PyTorch on Resemblyzer's mels vs ONNX on ours, window by window (see the module docstring)."""
    import onnxruntime as ort
    import torch

    windows = parity_windows(audio)
    ref_mels = np.stack([rz_audio.wav_to_mel_spectrogram(w) for w in windows])
    our_mels = np.stack([mel_spectrogram(w) for w in windows])
    with torch.no_grad():
        ref = model(torch.from_numpy(ref_mels)).numpy()
    sess = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    got = sess.run(["embeddings"], {"mels": our_mels})[0]
    cos = np.sum(ref * got, axis=1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1))
    mel_rel = float(np.max(np.abs(ref_mels - our_mels)) / max(float(np.max(np.abs(ref_mels))), 1e-12))
    return {"reference": "resemblyzer-pytorch+librosa-mels", "input": label, "windows": len(windows),
            "min_cosine": round(float(cos.min()), 7), "max_abs_diff": float(np.max(np.abs(ref - got))),
            "mel_max_rel_diff": mel_rel, "passed": bool(cos.min() >= MIN_COSINE)}


def export_speaker_package(source: Path, out: Path, parity_audio: Path | None = None, force: bool = False,
                           name: str = "speaker-resemblyzer") -> Path:
    """Export `source` (unpacked Resemblyzer wheel) to the package `out`; fails if parity fails."""
    from .manifest import ParityError

    source, out = Path(source).resolve(), Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} exists; pass --force to replace it")
    if parity_audio is None or not Path(parity_audio).is_file():
        raise ValueError("the speaker encoder's parity check needs real speech: pass --parity-audio WAV")
    out.parent.mkdir(parents=True, exist_ok=True)
    model, rz_audio = load_resemblyzer(source)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        pkg = Path(tmp) / "pkg"
        pkg.mkdir()
        progress("exporting the GE2E LSTM speaker encoder with torch.onnx")
        export_graph(model, pkg / GRAPH)
        audio = load_audio(Path(parity_audio), PARITY_SECONDS)
        parity = check_parity(model, rz_audio, pkg / GRAPH, audio,
                              f"audio:{Path(parity_audio).name}[0:{PARITY_SECONDS:g}s]")
        progress(f"parity: min_cosine={parity['min_cosine']} max_abs_diff={parity['max_abs_diff']:.2e}")
        if not parity["passed"]:
            raise ParityError(f"ONNX speaker embeddings differ from PyTorch ({parity})")
        licence = source / "LICENSE"
        if licence.is_file():
            shutil.copyfile(licence, pkg / "LICENSE")
        manifest: dict[str, Any] = {
            "format": FORMAT, "name": name, "task": TASK, "architecture": "ge2e-lstm",
            "precision": "fp32", "embedding_dim": 256, "opset": OPSET,
            "inputs": {"mels": ["batch", "frames", N_MELS]}, "outputs": {"embeddings": ["batch", 256]},
            "frontend": {"kind": "mel-power", "sample_rate": SAMPLE_RATE, "n_fft": 400, "hop_length": HOP,
                         "n_mels": N_MELS, "frames_per_second": FRAMES_PER_SECOND, "mel_scale": "slaney",
                         "norm": "slaney", "log": False, "volume_dbfs": -30.0},
            "source": {"kind": "pypi-wheel", "id": "resemblyzer==0.1.4", "license": "Apache-2.0",
                       "sha256": sha256_file(source / "resemblyzer" / "pretrained.pt"),
                       "file": "resemblyzer/pretrained.pt"},
            "exporter": exporter_versions(EXPORTER_PACKAGES), "parity": parity,
            "files": hash_files(pkg, exclude=(MANIFEST,)),
            "created_at": iso_utc(),
        }
        (pkg / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        install_package(pkg, out, open_speaker_package)
    progress(f"package written to {out}")
    return out


def main(argv: list[str]) -> int:
    """``python -m models.export speaker SOURCE OUT`` (dispatched from models/export/__main__.py)."""
    import argparse

    from .manifest import ParityError

    p = argparse.ArgumentParser(prog="python -m models.export speaker", description=__doc__.split("\n")[0])
    p.add_argument("source", type=Path, help="unpacked Resemblyzer wheel (shared.assets: sources/resemblyzer)")
    p.add_argument("out", type=Path, help="package directory to write")
    p.add_argument("--parity-audio", type=Path, help="16 kHz mono 16-bit WAV of real speech "
                   "(default: the cached pyannote sample)")
    p.add_argument("--name", default="speaker-resemblyzer")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = p.parse_args(argv)
    parity_audio = args.parity_audio
    if parity_audio is None:
        from .parity import default_parity_audio

        parity_audio = default_parity_audio()
    try:
        export_speaker_package(args.source, args.out, parity_audio, force=args.force, name=args.name)
    except (ParityError, FileExistsError, ValueError) as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    return 0
