"""Speaker embeddings on sliding windows inside speech regions, one chunk at a time (fan-out).

A chunk's audio goes through Silero VAD with short-pause settings (a pause of 0.2 s ends a region,
so most regions hold one voice; the VAD hears the audio through the high-pass, as planning does),
then windows of ``window_s`` every ``step_s`` are laid inside each region (never across a pause: a
window is a single voice more often). A region shorter than a window gets one window covering it.
Each window is volume-normalised, turned into mel frames (``features``) and embedded by the ONNX
speaker encoder; its median voice pitch is measured too (``prosody``: NaN when too little of it is
voiced), and so is its spectral envelope (``timbre``: its frames' cepstral statistics, a second
opinion on close voices). Times are seconds on the recording's timeline (the chunk's offset added),
so chunks' results simply concatenate before clustering.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.vad import SileroVad, SpeechSegmenter, VadOptions, heard_probs

from .encoder import SpeakerEmbedder, SpeakerEncoder
from .interference import speaker_audio
from .prosody import frame_pitch, window_pitch
from .timbre import STATS, frame_bands, window_timbre
from .units import SpeechUnits, chunk_units

__all__ = ["DIARIZATION_VAD", "EmbeddingOptions", "SpeakerEmbedder", "SpeakerEncoder", "SpeakerWindows",
           "embed_chunk", "plan_windows", "speech_regions"]

# Short-pause VAD: turns in a conversation are often separated by 0.3-1 s only.
DIARIZATION_VAD = VadOptions(threshold=0.5, min_speech_duration_ms=120, min_silence_duration_ms=200,
                             speech_pad_ms=40)


@dataclass(frozen=True)
class EmbeddingOptions:
    window_s: float = 1.5
    step_s: float = 0.75
    min_window_s: float = 0.25  # shorter speech regions are not embedded (they get a speaker later)
    batch_size: int = 32


@dataclass(frozen=True)
class SpeakerWindows:
    """Embeddings of one chunk (or of a whole recording after `concat`). Row i: window i.

    `regions` are the VAD speech regions (start, end) in seconds; `region` maps each window to its
    row in `regions`. `vectors` are L2-normalised float32 (n, dim). `pitch` is each window's median
    log2 F0 (float32, NaN: unvoiced or not measured; None on blobs written before it existed); `timbre`
    each window's cepstral statistics (float32 (n, STATS), NaN rows: not measured; None on older blobs)."""

    regions: np.ndarray  # (r, 2) float64
    starts: np.ndarray  # (n,) float64
    ends: np.ndarray  # (n,) float64
    region: np.ndarray  # (n,) int64
    vectors: np.ndarray  # (n, dim) float32
    pitch: np.ndarray | None = None  # (n,) float32
    timbre: np.ndarray | None = None  # (n, STATS) float32
    units: SpeechUnits | None = None  # the regions' short units (``units``; None on older blobs)

    @property
    def pitches(self) -> np.ndarray:
        """`pitch`, or all NaN when it was not measured."""
        return np.full(self.starts.shape[0], np.nan, np.float32) if self.pitch is None else self.pitch

    @property
    def timbres(self) -> np.ndarray:
        """`timbre`, or all NaN when it was not measured."""
        return (np.full((self.starts.shape[0], STATS), np.nan, np.float32) if self.timbre is None
                else self.timbre)

    @property
    def durations(self) -> np.ndarray:
        return self.ends - self.starts

    @property
    def owned(self) -> np.ndarray:
        """Seconds of its region each window speaks for: the region split between its windows at the
        midpoints of their centres (the shares of one region add up to its length)."""
        out = np.zeros(self.starts.shape[0])
        centres = (self.starts + self.ends) / 2
        for r, (rs, re_) in enumerate(self.regions):
            idx = np.flatnonzero(self.region == r)
            if idx.size == 0:
                continue
            idx = idx[np.argsort(centres[idx], kind="stable")]
            c = centres[idx]
            bounds = np.concatenate([[rs], (c[1:] + c[:-1]) / 2, [re_]])
            out[idx] = np.diff(bounds)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for a blob (vectors and pitch as base64 little-endian float32)."""
        d = {"regions": self.regions.round(3).tolist(), "starts": self.starts.round(3).tolist(),
             "ends": self.ends.round(3).tolist(), "region": self.region.tolist(),
             "dim": int(self.vectors.shape[1]),
             "vectors": base64.b64encode(self.vectors.astype("<f4").tobytes()).decode("ascii")}
        if self.pitch is not None:
            d["pitch"] = base64.b64encode(self.pitch.astype("<f4").tobytes()).decode("ascii")
        if self.timbre is not None:
            d["timbre"] = base64.b64encode(self.timbre.astype("<f4").tobytes()).decode("ascii")
        if self.units is not None:
            d.update(self.units.to_dict())
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpeakerWindows:
        vec = np.frombuffer(base64.b64decode(d["vectors"]), dtype="<f4").reshape(-1, int(d["dim"]))
        pitch = (np.frombuffer(base64.b64decode(d["pitch"]), dtype="<f4").astype(np.float32)
                 if "pitch" in d else None)
        timbre = (np.frombuffer(base64.b64decode(d["timbre"]), dtype="<f4").reshape(-1, STATS).astype(np.float32)
                  if "timbre" in d else None)
        return cls(np.asarray(d["regions"], np.float64).reshape(-1, 2), np.asarray(d["starts"], np.float64),
                   np.asarray(d["ends"], np.float64), np.asarray(d["region"], np.int64), vec.astype(np.float32),
                   pitch, timbre, SpeechUnits.from_dict(d))

    @classmethod
    def concat(cls, parts: Sequence[SpeakerWindows], dim: int = 256) -> SpeakerWindows:
        """Chunks' windows in time order; region indices renumbered; units only when every chunk has them."""
        ordered = sorted(parts, key=lambda p: float(p.regions[0, 0]) if len(p.regions) else math.inf)
        regions, region, offset = [], [], 0
        for p in ordered:
            regions.append(p.regions)
            region.append(p.region + offset)
            offset += len(p.regions)
        if not ordered:
            empty = np.zeros(0)
            return cls(np.zeros((0, 2)), empty, empty, empty.astype(np.int64), np.zeros((0, dim), np.float32))
        return cls(np.concatenate(regions), np.concatenate([p.starts for p in ordered]),
                   np.concatenate([p.ends for p in ordered]), np.concatenate(region),
                   np.concatenate([p.vectors for p in ordered]).astype(np.float32),
                   np.concatenate([p.pitches for p in ordered]).astype(np.float32),
                   np.concatenate([p.timbres for p in ordered]).astype(np.float32),
                   SpeechUnits.concat([p.units for p in ordered if p.units is not None])
                   if all(p.units is not None for p in ordered) else None)


def speech_regions(audio: np.ndarray, vad: SileroVad, opts: VadOptions = DIARIZATION_VAD) -> np.ndarray:
    """(r, 2) speech regions in seconds, relative to `audio`, found on the probabilities of the audio
    heard through the high-pass as planning heard it (``vad.heard_probs``); the embeddings, pitch and
    timbre are measured on the original audio."""
    seg = SpeechSegmenter(opts)
    pieces = [*seg.push(heard_probs(audio, vad)), *seg.finish(len(audio))]
    return np.array([(p.start / SAMPLE_RATE, p.end / SAMPLE_RATE) for p in pieces], np.float64).reshape(-1, 2)


def plan_windows(regions: np.ndarray, opts: EmbeddingOptions) -> list[tuple[float, float, int]]:
    """(start, end, region index) windows evenly laid inside each region, covering it."""
    out = []
    for r, (s, e) in enumerate(regions):
        length = e - s
        if length < opts.min_window_s:
            continue
        if length <= opts.window_s:
            out.append((float(s), float(e), r))
            continue
        n = math.ceil((length - opts.window_s) / opts.step_s) + 1
        for k in range(n):
            ws = s + (length - opts.window_s) * k / (n - 1)
            out.append((float(ws), float(ws + opts.window_s), r))
    return out


def embed_chunk(audio: np.ndarray, offset_s: float, encoder: SpeakerEmbedder, vad: SileroVad,
                opts: EmbeddingOptions = EmbeddingOptions(), *, flac: bytes | None = None) -> SpeakerWindows:
    """Speaker windows of one chunk (16 kHz mono float32 starting at `offset_s` on the recording).

    VAD, the window plan, the pitch, the timbre and the units (``units``) run here (the pitch frames and
    the mel band frames are computed once and shared by the windows and the units); the embeddings come
    from `encoder` (in process, or the GPU service, which is sent `flac`, the chunk's own encoding of
    `audio`, when given). A chunk under low-frequency interference (``interference.speaker_audio``: mains
    hum, a DC offset) is high-passed for the embeddings, pitch, timbre and units; others are heard as they
    are."""
    regions = speech_regions(audio, vad)
    plan = plan_windows(regions, opts)
    spans = [(s, e) for s, e, _ in plan]
    audio, filtered = speaker_audio(audio)  # high-passed only under hum / DC (``interference``)
    flac = None if filtered else flac
    vectors = (encoder.embed_windows(audio, spans, flac=flac, batch_size=opts.batch_size) if spans
               else np.zeros((0, encoder.model.embedding_dim), np.float32))
    f0, bands = frame_pitch(audio), frame_bands(audio)  # each once per chunk, shared by windows and units
    pitch = window_pitch(audio, spans, f0=f0).astype(np.float32)
    timbre = window_timbre(audio, spans, bands=bands)
    return SpeakerWindows(regions + offset_s, np.array([p[0] for p in plan]) + offset_s,
                          np.array([p[1] for p in plan]) + offset_s, np.array([p[2] for p in plan], np.int64),
                          vectors, pitch, timbre, chunk_units(audio, regions, offset_s, f0=f0, bands=bands))
