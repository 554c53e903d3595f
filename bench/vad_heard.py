"""Speech under mains hum or a DC offset, as each VAD of a job hears it: planning, the segment guard, the
diarization.

    python -m bench.vad_heard [--files sample,dialogue-2,dialogue-3] [--copies clean,hum,dc] [--hum 0.3] [--dc 0.3]
        [--embed-highpass] [--original embeddings,pitch,timbre,units] [--json OUT]

Each file (``sample``: pyannote's real two-speaker sample against its RTTM; other names: ``bench.dialogues``
scripts voiced by espeak-ng, exact reference turns) at half level, in three copies: ``clean``, ``hum``
(50 Hz at -10 dBFS plus 150 Hz at -30 dBFS, ``tests/fixtures/mediakinds/rates.py``'s CCTV hum) and ``dc`` (a
+0.3 offset; ``--hum`` and ``--dc`` set the levels). Per copy: the speech seconds planning's VAD finds
(streamed through the high-pass, default
options), the seconds the segment guard hears (``spoken.speech_probabilities``: frames at or above its
floor, probability-weighted), the diarization's speech-region seconds, the speakers found (automatic
count) and the DER (``bench.der``, 0.25 s collar). The speaker features are the pipeline's
(``embed_chunk``: high-passed only where ``interference.low_share`` finds hum or DC; ``low_share`` is
printed). ``--embed-highpass`` gives ``embed_chunk`` the high-passed audio (its VAD then hears it
high-passed twice and the regions move: the experiment that gave 3 speakers on the clean sample).
``--original embeddings,pitch,timbre,units`` (the blinding ablation) measures every feature on the
high-passed audio except the named ones, which hear the original: which feature the hum blinds.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from bench import dialogues
from bench.der import der
from models.fetch import fetch_speaker_assets, sample_path, speaker_model_path, vad_model_path
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import (
    EmbeddingOptions,
    SpeakerEncoder,
    SpeakerWindows,
    embed_chunk,
    plan_windows,
    speech_regions,
)
from shared.diarization.interference import low_share
from shared.diarization.overlap import overlap_cues
from shared.diarization.prosody import frame_pitch, window_pitch
from shared.diarization.timbre import frame_bands, window_timbre
from shared.diarization.units import chunk_units
from shared.media import load_audio
from shared.media.highpass import HighPass
from shared.media.spoken import SPEECH_FLOOR, speech_probabilities
from shared.media.vad import FRAME, SileroVad, SpeechSegmenter, VadOptions

SR = 16000


def source(name: str) -> tuple[np.ndarray, list[dialogues.Turn]]:
    if name == "sample":
        return load_audio(sample_path()), dialogues.read_rttm(fetch_speaker_assets()[1])
    d = dialogues.build(name)
    return d.audio, list(d.turns)


def copies(audio: np.ndarray, hum: float = 0.3, dc: float = 0.3) -> dict[str, np.ndarray]:
    """clean (half level), hum (50 Hz of peak `hum` plus 150 Hz 20 dB below), dc (+`dc`)."""
    t = np.arange(len(audio)) / SR
    mains = hum * np.sin(2 * np.pi * 50 * t) + hum / 10 * np.sin(2 * np.pi * 150 * t)
    half = 0.5 * audio
    return {k: v.astype(np.float32) for k, v in (("clean", half), ("hum", half + mains), ("dc", half + dc))}


def planning_speech_s(audio: np.ndarray, vad: SileroVad) -> float:
    """Speech seconds as planning's first pass finds them (the streamed high-pass, then default VAD)."""
    highpass, block = HighPass(), 10 * SR
    x = np.concatenate([highpass(audio[k : k + block]) for k in range(0, len(audio), block)])
    vad.reset()
    seg = SpeechSegmenter(VadOptions())
    pieces = [*seg.push(vad.probs(np.pad(x, (0, (-len(x)) % FRAME)))), *seg.finish(len(x))]
    return sum(p.end - p.start for p in pieces) / SR


FEATURES = ("embeddings", "pitch", "timbre", "units")


def ablated_windows(audio: np.ndarray, encoder: SpeakerEncoder, vad: SileroVad, original: set[str]) -> SpeakerWindows:
    """``embed_chunk``'s windows with each feature measured on the high-passed audio, or on `audio` itself
    for the features named in `original`."""
    hp = HighPass()(audio)
    src = {f: (audio if f in original else hp) for f in FEATURES}
    regions = speech_regions(audio, vad)  # as ``embed_chunk`` (the VAD hears the high-pass either way)
    plan = plan_windows(regions, EmbeddingOptions())
    spans = [(s, e) for s, e, _ in plan]
    vectors = encoder.embed_windows(src["embeddings"], spans)
    pitch = window_pitch(src["pitch"], spans, f0=frame_pitch(src["pitch"])).astype(np.float32)
    timbre = window_timbre(src["timbre"], spans, bands=frame_bands(src["timbre"]))
    u = src["units"]
    units = chunk_units(u, regions, 0.0, f0=frame_pitch(u), bands=frame_bands(u))
    return SpeakerWindows(regions, np.array([p[0] for p in plan]), np.array([p[1] for p in plan]),
                          np.array([p[2] for p in plan], np.int64), vectors, pitch, timbre, units)


def measure(audio: np.ndarray, ref: list[dialogues.Turn], encoder: SpeakerEncoder, vad: SileroVad,
            embed_highpass: bool, original: set[str] | None = None) -> dict[str, Any]:
    probs = speech_probabilities(audio, vad_model_path())
    if original is not None:
        w = ablated_windows(audio, encoder, vad, original)
    else:
        w = embed_chunk(audio if not embed_highpass else HighPass()(audio), 0.0, encoder, vad)
    two_voice, pauses = overlap_cues(audio, w.regions)  # as the pipeline's ``chunk_speakers``
    result = diarize([w], two_voice=two_voice, pauses=pauses)
    return {"low_share": round(low_share(audio), 5),
            "planning_speech_s": round(planning_speech_s(audio, vad), 2),
            "guard_heard_s": round(float(probs[probs >= SPEECH_FLOOR].sum()) * FRAME / SR, 2),
            "diarization_regions_s": round(float((w.regions[:, 1] - w.regions[:, 0]).sum()), 2),
            "speakers_found": result.count, "speakers_ref": len({t.speaker for t in ref}),
            "der": round(der(ref, result.turns).to_dict()["der"], 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", default="sample,dialogue-2,dialogue-3")
    ap.add_argument("--embed-highpass", action="store_true")
    ap.add_argument("--original", help="ablation: comma list of " + ",".join(FEATURES) + " heard unfiltered "
                    "(empty string: all high-passed)")
    ap.add_argument("--copies", default="clean,hum,dc")
    ap.add_argument("--hum", type=float, default=0.3, help="the hum copy's 50 Hz peak (0.3: -10 dBFS)")
    ap.add_argument("--dc", type=float, default=0.3, help="the dc copy's offset")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    original = None if args.original is None else {f for f in args.original.split(",") if f}
    encoder, vad = SpeakerEncoder(speaker_model_path()), SileroVad(vad_model_path())
    rows = []
    for name in args.files.split(","):
        audio, ref = source(name)
        for kind, x in copies(audio, args.hum, args.dc).items():
            if kind not in args.copies.split(","):
                continue
            row = {"file": name, "copy": kind, **measure(x, ref, encoder, vad, args.embed_highpass, original)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"load average at the end: {[round(v, 2) for v in os.getloadavg()]}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
