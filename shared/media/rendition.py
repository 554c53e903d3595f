"""The page's audio rendition: whether a browser plays the original, and an AAC/M4A copy of its audio when not.

Which originals a browser plays is decided from the probe (container, codecs, audio streams, timeline),
never from the file name. Played as they are: MP4/M4A/MOV with AAC audio (and H.264 video, or none), MP3,
and WAV with 8/16-bit PCM, when there is one audio stream whose audio starts at the container's start
and has no holes. Everything else (Matroska/WebM, AVI, ASF/WMV/WMA, AMR, 3GP with AMR, FLAC, Ogg, raw
AAC, MPEG-TS, MOV with PCM, several audio streams, holes) gets a rendition: AAC-LC in an MP4 container
(``.m4a``, index at the front), the one audio format that Chromium, Edge, Safari and Firefox all play
and seek by byte ranges.

Invariants:
* the original is only read; the rendition is a new file;
* the rendition is on the container's timeline (``shared.media.decode``): a late start or a hole is
  silence of its length, so the player's ``currentTime`` is the transcript's time;
* several audio streams are mixed (each at ``1/n``, no clipping, no gain) on that shared timeline;
* it ends where the probe says the audio ends (the last placed sample of the longest stream).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from shared.media.decode import AudioDecoder

RATE = 48_000  # what browsers' audio output runs at; no resampling left to the player
BIT_RATE = 96_000  # AAC-LC mono: clear speech, about 43 MB an hour
CONTENT_TYPE = "audio/mp4"
SUFFIX = ".m4a"
_MP4 = "mov"  # FFmpeg's demuxer name for MP4, M4A, MOV, 3GP (format_name "mov,mp4,m4a,3gp,3g2,mj2")
_PLAYED_VIDEO = {"h264"}
_PLAYED_PCM = {"pcm_s16le", "pcm_u8"}
_AAC, _MP3 = {"aac", "aac_fixed"}, {"mp3", "mp3float"}  # the probe names codecs by their decoder
_TIMELINE_TOLERANCE_S = 0.05  # lead-in or holes below this do not move the player's clock noticeably


@dataclass(frozen=True)
class Verdict:
    """Whether a browser plays the original; ``reason`` says why not (for the record and the page)."""

    playable: bool
    reason: str | None = None


@dataclass(frozen=True)
class RenditionInfo:
    sha256: str
    size_bytes: int
    duration_s: float
    streams: tuple[int, ...]  # the audio streams mixed into it


def browser_plays(probe: dict[str, Any]) -> Verdict:
    """The verdict for a probe (``MediaInfo.to_dict()``): conservative, a doubt means a rendition."""
    streams = probe.get("streams") or []
    audio = [s for s in streams if s.get("kind") == "audio" and s.get("decoded_s")]
    video = [s for s in streams if s.get("kind") == "video"]
    formats = set(str(probe.get("format_name") or "").split(","))
    if len(audio) != 1:
        return Verdict(False, f"{len(audio)} audio streams: a browser plays only one, the rendition mixes them")
    a = audio[0]
    codec = str(a.get("codec") or "")
    if (a.get("start_s") or 0) > _TIMELINE_TOLERANCE_S or (a.get("gap_s") or 0) > _TIMELINE_TOLERANCE_S:
        return Verdict(False, "the audio starts late or has holes: the rendition keeps the recording's times")
    if _MP4 in formats and codec in _AAC and all(v.get("codec") in _PLAYED_VIDEO for v in video):
        return Verdict(True)
    if formats == {"mp3"} and codec in _MP3 and not video:
        return Verdict(True)
    if formats == {"wav"} and codec in _PLAYED_PCM and not video:
        return Verdict(True)
    what = f"{codec} audio" + (f" with {'/'.join(sorted({str(v.get('codec')) for v in video}))} video" if video else "")
    return Verdict(False, f"{what} in {probe.get('format_name')} is not played by every browser")


def audio_streams(probe: dict[str, Any]) -> tuple[int, ...]:
    """The audio streams that hold decodable audio, in stream order (what the rendition mixes)."""
    return tuple(int(s["index"]) for s in probe.get("streams") or [] if s.get("kind") == "audio" and s.get("decoded_s"))


def stream_channels(probe: dict[str, Any]) -> dict[int, int]:
    """Streams that the probe made one track of a single channel (a stereo stream in opposite phase, whose
    downmix cancels): stream index → that channel. Every other stream is downmixed."""
    by_stream: dict[int, list[Any]] = {}
    for t in probe.get("tracks") or []:
        by_stream.setdefault(int(t["stream_index"]), []).append(t.get("channel"))
    return {i: int(ch[0]) for i, ch in by_stream.items() if len(ch) == 1 and ch[0] is not None}


def _mixed(path: Path, streams: Sequence[int], max_duration_s: float | None,
           channels: Mapping[int, int]) -> Iterator[np.ndarray]:  # fmt: skip
    """Blocks of the streams' mono audio at :data:`RATE`, summed at ``1/n`` each on the shared timeline."""
    block = RATE * 10
    decoders = [iter(AudioDecoder(path, sample_rate=RATE, block=block, stream_index=i, channel=channels.get(i),
                                  max_duration_s=max_duration_s)) for i in streams]  # fmt: skip
    weight = np.float32(1.0 / len(decoders))
    while decoders:
        parts, alive = [], []
        for d in decoders:
            part = next(d, None)
            if part is not None:
                parts.append(part)
                alive.append(d)
        decoders = alive  # a decoder yields full blocks until its last one, so every block starts together
        if not parts:
            return
        out = np.zeros(max(len(p) for p in parts), np.float32)
        for p in parts:
            out[: len(p)] += p * weight
        yield out


def write_rendition(path: Path, out: Path, streams: Sequence[int], *, max_duration_s: float | None = None,
                    channels: Mapping[int, int] | None = None) -> RenditionInfo:  # fmt: skip
    """Write the AAC/M4A rendition of ``streams`` of ``path`` to ``out`` (a new file) and describe it."""
    if not streams:
        raise ValueError("no audio stream to render")
    samples = 0
    with contextlib.closing(av.open(str(out), "w", format="ipod", options={"movflags": "+faststart"})) as container:
        st: Any = container.add_stream("aac", rate=RATE, layout="mono")
        st.bit_rate = BIT_RATE
        cc = st.codec_context
        resampler = av.AudioResampler(format=cc.format.name, layout="mono", rate=RATE, frame_size=cc.frame_size or None)

        def mux(frames: list[av.AudioFrame]) -> None:
            for f in frames:
                container.mux(st.encode(f))

        for pcm in _mixed(Path(path), streams, max_duration_s, channels or {}):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(np.clip(pcm, -1, 1)).reshape(1, -1),
                                               format="fltp", layout="mono")
            frame.sample_rate = RATE
            samples += len(pcm)
            mux(resampler.resample(frame))
        mux(resampler.resample(None))
        container.mux(st.encode(None))
    sha = hashlib.sha256()
    with open(out, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return RenditionInfo(sha256=sha.hexdigest(), size_bytes=out.stat().st_size, duration_s=round(samples / RATE, 3),
                         streams=tuple(streams))
