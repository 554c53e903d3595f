"""The per-chunk speaker features: the speaker-windows blob's SHA-256 per file, and the time of each step.

    python -m bench.speaker_features [--files sample,dialogue-3,...] [--repeat 3] [--json OUT]

For each file (``sample``: pyannote's real two-speaker sample; any other name: a ``bench.dialogues``
script voiced by espeak-ng) the chunk goes through the pipeline's own ``chunk_speakers`` (FLAC in,
real Silero VAD, real speaker encoder) and the SHA-256 of its blob dict (JSON, sorted keys) is
printed: a refactoring of the chunk's feature steps must leave it unchanged. Then each numpy step
of ``embed_chunk`` is timed on that audio (best of ``--repeat``) and given per hour of audio:
``highpass`` (the 150 Hz high-pass every VAD hears through, ``vad.heard_probs``), ``low_share`` (the
hum / DC test deciding whether the speaker features hear the high-passed audio), ``frame_bands``
(the 25 ms mel band powers behind the windows' timbre and the units), ``frame_pitch``,
``window_timbre`` and ``chunk_units`` (each given the shared bands and pitch), and the whole
``embed_chunk``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench import dialogues
from models.fetch import sample_path, speaker_model_path, vad_model_path
from shared.diarization.embeddings import EmbeddingOptions, SpeakerEncoder, embed_chunk, plan_windows, speech_regions
from shared.diarization.interference import low_share
from shared.diarization.pipeline import chunk_speakers
from shared.diarization.prosody import frame_pitch
from shared.diarization.timbre import frame_bands, window_timbre
from shared.diarization.units import chunk_units
from shared.media import load_audio
from shared.media.flac import encode_flac
from shared.media.highpass import HighPass
from shared.media.vad import SileroVad


def audio_of(name: str) -> np.ndarray:
    return load_audio(sample_path()) if name == "sample" else dialogues.build(name).audio


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def heard_probs_filter(audio: np.ndarray) -> np.ndarray:
    """The high-pass that ``vad.heard_probs`` puts before the VAD (paid by the segment guard and by the
    diarization, once each per chunk), in its 10 s blocks."""
    highpass, block = HighPass(), 10 * 16000
    return np.concatenate([highpass(audio[k : k + block]) for k in range(0, len(audio), block)])


def blob_sha256(flac: bytes, encoder: SpeakerEncoder, vad: SileroVad) -> str:
    blob = chunk_speakers(flac, 12.5, encoder, vad)
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode("utf-8")).hexdigest()


def measure(name: str, encoder: SpeakerEncoder, vad: SileroVad, repeat: int) -> dict[str, Any]:
    flac = encode_flac(audio_of(name))
    audio = load_audio(flac)  # what the chunk activity hears
    per_hour = 3600.0 / (len(audio) / 16000)
    regions = speech_regions(audio, vad)
    spans = [(s, e) for s, e, _ in plan_windows(regions, EmbeddingOptions())]
    bands, f0 = frame_bands(audio), frame_pitch(audio)
    steps = {"highpass": lambda: heard_probs_filter(audio), "low_share": lambda: low_share(audio),
             "frame_bands": lambda: frame_bands(audio),
             "frame_pitch": lambda: frame_pitch(audio),
             "window_timbre": lambda: window_timbre(audio, spans, bands=bands),
             "chunk_units": lambda: chunk_units(audio, regions, f0=f0, bands=bands),
             "embed_chunk": lambda: embed_chunk(audio, 0.0, encoder, vad)}
    return {"audio_s": round(len(audio) / 16000, 2), "blob_sha256": blob_sha256(flac, encoder, vad),
            "s_per_hour": {k: round(best(fn, repeat) * per_hour, 2) for k, fn in steps.items()}}


def run(files: list[str], repeat: int) -> dict[str, Any]:
    encoder = SpeakerEncoder(speaker_model_path())
    vad = SileroVad(vad_model_path())
    out: dict[str, Any] = {}
    for name in files:
        out[name] = measure(name, encoder, vad, repeat)
        print(name, json.dumps(out[name]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", default="sample,dialogue-3,dialogue-4")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result = {"machine": f"{platform.machine()} {os.cpu_count()} CPUs", "load": os.getloadavg()[0],
              "files": run(args.files.split(","), args.repeat)}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
