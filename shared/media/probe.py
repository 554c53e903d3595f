"""Probe a recording: container, streams, audio tracks, measured durations, SHA-256 of the original bytes.

The file is opened read-only. The hash covers every byte of the file and is computed from the
bytes FFmpeg reads while demuxing (when it reads them in order), topped up by a block read of
whatever it skipped, so the whole file is never held in memory and is usually read only once.

Every audio stream is decoded in that same pass and measured by the samples it decodes to, placed on
the container's timeline (``shared.media.timeline``): its start, its holes, its end. Truncation is
judged per audio stream, against that stream's own declared length (never the container's or the
video's: phone and body-worn exports routinely end their audio before their video). The duration
limit is checked on placed samples as they decode, so decoding stops at the limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import av
import av.error
import numpy as np

from shared.media.container import (
    check_file,
    container_origin,
    container_span,
    demux_packets,
    open_container,
    select_audio_stream,
    usable_audio,
)
from shared.media.errors import NO_AUDIO_DECODED, TRUNCATED, MediaError
from shared.media.timeline import Timeline
from shared.media.tracks import ChannelStats, Track

HASH_BLOCK = 1024 * 1024
# Containers whose streams declare their own length (so a shortfall of data means truncation).
_DECLARED_LENGTH_FORMATS = ("mov", "mp4", "matroska", "flac", "mp3")
_TRUNCATION_TOLERANCE_S = 2.0
_TRUNCATION_TOLERANCE_FRAC = 0.10
_MKV_DURATION = re.compile(r"^(\d+):(\d\d):(\d\d(?:\.\d+)?)$")


@dataclass(frozen=True)
class StreamInfo:
    """One stream. Audio streams also carry what decoding measured, in seconds on the container's
    timeline: ``start_s`` (first audio), ``end_s`` (last audio), ``decoded_s`` (audio decoded, holes
    excluded) and ``gap_s`` (silence placed in holes). ``duration_s`` is the stream's own declared length."""

    index: int
    kind: str  # "audio" | "video" | "subtitle" | "data" ...
    codec: str
    sample_rate: int | None
    channels: int | None
    language: str | None
    duration_s: float | None
    start_s: float | None = None
    end_s: float | None = None
    decoded_s: float | None = None
    gap_s: float | None = None


@dataclass(frozen=True)
class MediaInfo:
    path_name: str  # file name only (never the storage path)
    size_bytes: int
    sha256: str
    format_name: str
    duration_s: float  # end of the last audio on the container timeline, from decoded samples
    streams: tuple[StreamInfo, ...]
    audio_stream_index: int  # the default audio stream
    bit_rate: int | None = None
    declared_duration_s: float | None = None  # what the container header claims, if anything
    tracks: tuple[Track, ...] = field(default_factory=tuple)  # every audio track to search for speech

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["streams"] = [asdict(s) for s in self.streams]
        d["tracks"] = [t.to_dict() for t in self.tracks]
        return d


class _HashingReader:
    """Read-only file wrapper for FFmpeg that hashes the longest in-order prefix it reads."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()
        self.hashed = 0  # bytes [0, hashed) are in self.sha

    def read(self, n: int = -1) -> bytes:
        pos = self.fh.tell()
        data = self.fh.read(n)
        if pos <= self.hashed < pos + len(data):
            self.sha.update(memoryview(data)[self.hashed - pos :])
            self.hashed = pos + len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.fh.seek(offset, whence)

    def tell(self) -> int:
        return self.fh.tell()

    def finish(self) -> str:
        """Hash the bytes FFmpeg did not read in order and return the hex digest of the whole file."""
        self.fh.seek(self.hashed)
        while block := self.fh.read(HASH_BLOCK):
            self.sha.update(block)
            self.hashed += len(block)
        return self.sha.hexdigest()


def probe(path: Path, *, max_duration_s: float | None = None) -> MediaInfo:
    """Describe `path` and check its audio is usable; MediaError with a reason code otherwise."""
    path = Path(path)
    size = check_file(path)
    with open(path, "rb") as raw:
        reader = _HashingReader(raw)
        with contextlib.closing(open_container(reader)) as c:  # type: ignore[arg-type]
            audio_index = int(select_audio_stream(c).index)
            fmt = c.format.name
            declared = c.duration / av.time_base if c.duration and c.duration > 0 else None
            bit_rate = int(c.bit_rate) if c.bit_rate else None
            measured = _measure(c, max_duration_s)
            streams = tuple(_stream_info(s, fmt, measured.get(s.index)) for s in c.streams)
            judged = any(f in fmt.split(",") for f in _DECLARED_LENGTH_FORMATS)
        if fmt == "wav":
            _check_riff_size(raw, size)
        mp3_bytes = _mp3_declared_bytes(raw) if fmt == "mp3" else None
        sha = reader.finish()
    usable = {i: m for i, m in measured.items() if m.timeline.decoded > 0}
    if not usable:
        raise MediaError(NO_AUDIO_DECODED, "the audio stream holds no decodable audio")
    for i, m in sorted(usable.items()):
        if judged and (want := streams_by_index(streams)[i].duration_s) is not None:
            if mp3_bytes is not None:  # the MP3's own byte count decides; its frame count may be wrong
                _judge_mp3_bytes(*mp3_bytes, size, want)
                continue
            short = want - m.timeline.end_s
            if short > max(_TRUNCATION_TOLERANCE_S, _TRUNCATION_TOLERANCE_FRAC * want):
                raise MediaError(
                    TRUNCATED, f"audio stream #{i} declares {want:.1f} s but its data holds {m.timeline.end_s:.1f} s"
                )
    return MediaInfo(
        path_name=path.name,
        size_bytes=size,
        sha256=sha,
        format_name=fmt,
        duration_s=round(max(m.timeline.end_s for m in usable.values()), 6),
        streams=streams,
        audio_stream_index=audio_index,
        bit_rate=bit_rate,
        declared_duration_s=round(declared, 6) if declared is not None else None,
        tracks=_tracks(streams, usable),
    )


class _Measure:
    """What decoding one audio stream found: its placement and, for stereo, its channel statistics."""

    def __init__(self, stream: Any, origin: float, limit_s: float | None, span_s: float | None) -> None:
        self.stream = stream
        self.timeline = Timeline(origin, limit_s=limit_s, span_s=span_s)
        rate = stream.codec_context.sample_rate or 48000
        self.channels = ChannelStats(rate) if stream.codec_context.channels == 2 else None

    def add(self, frame: av.AudioFrame) -> None:
        ts = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
        self.timeline.place(self.timeline.silence_before(ts), frame.samples * self.timeline.rate / frame.sample_rate)
        if self.channels is not None and len(frame.layout.channels) == 2:
            self.channels.push(_planar(frame))


def _planar(frame: av.AudioFrame) -> np.ndarray:
    """A frame's samples as (channels, n) floats in [-1, 1]."""
    a = frame.to_ndarray()
    if not frame.format.is_planar:
        a = a.reshape(-1, len(frame.layout.channels)).T
    if a.dtype == np.uint8:
        return (a.astype(np.float32) - 128.0) / 128.0
    full_scale = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2.0**31, np.dtype(np.int64): 2.0**63}
    return a.astype(np.float32) / full_scale[a.dtype] if a.dtype in full_scale else a


def _measure(c: av.container.InputContainer, limit_s: float | None) -> dict[int, _Measure]:
    """Decode every decodable audio stream in one demux pass (stops at the duration limit)."""
    origin, span = container_origin(c), container_span(c)
    found = {s.index: _Measure(s, origin, limit_s, span) for s in c.streams if s.type == "audio" and usable_audio(s)}
    counts: dict[str, int] = {}
    for packet in demux_packets(c, [m.stream for m in found.values()], counts):
        m = found.get(packet.stream.index)
        if m is None or not packet.size:
            continue
        try:
            frames = m.stream.decode(packet)
        except av.error.FFmpegError:
            continue
        for frame in frames:
            m.add(frame)
    for m in found.values():  # frames still inside the decoder
        with contextlib.suppress(av.error.FFmpegError, ValueError):
            for frame in m.stream.decode(None):
                m.add(frame)
    return found


def streams_by_index(streams: tuple[StreamInfo, ...]) -> dict[int, StreamInfo]:
    return {s.index: s for s in streams}


def _declared_s(s: Any, fmt: str) -> float | None:
    """The stream's own declared length: Matroska's per-track DURATION tag, else the stream header's.

    FFmpeg copies the container's duration into Matroska streams that declare none, so for Matroska
    only the tag counts.
    """
    if "matroska" in fmt.split(","):
        tag = _MKV_DURATION.match(str(s.metadata.get("DURATION", "")).strip())
        return int(tag[1]) * 3600 + int(tag[2]) * 60 + float(tag[3]) if tag else None
    return float(s.duration * s.time_base) if s.duration and s.duration > 0 and s.time_base else None


def _tracks(streams: tuple[StreamInfo, ...], usable: dict[int, _Measure]) -> tuple[Track, ...]:
    """Every decodable audio stream as a track, a stereo one with different content per channel as two, one
    whose channels cancel in a downmix as its louder channel alone."""
    out: list[Track] = []
    for s in streams:
        m = usable.get(s.index)
        if m is None:
            continue
        split = m.channels is not None and m.channels.separate()
        alone = None if split or m.channels is None else m.channels.cancels()
        for channel in (0, 1) if split else (alone,):
            out.append(Track(len(out) + 1, s.index, channel, s.channels, s.language))
    return tuple(out)


def _check_riff_size(fh: BinaryIO, size: int) -> None:
    """WAV: FFmpeg clamps to the file size, so compare the RIFF header's size field ourselves."""
    fh.seek(0)
    head = fh.read(8)
    if len(head) == 8 and head[:4] == b"RIFF":
        declared = struct.unpack("<I", head[4:8])[0] + 8
        if 8 < declared < 0xFFFFFFFF and declared > size:  # 0 / 0xFFFFFFFF: streaming writer, unknown
            raise MediaError(TRUNCATED, f"the WAV header declares {declared} bytes but the file has {size}")


def _mp3_declared_bytes(fh: BinaryIO) -> tuple[int, int] | None:
    """(offset of the first MPEG audio frame, bytes the stream declares from there) from an MP3's Xing/Info
    or VBRI header, when it declares a byte count; None otherwise.

    Encoders write the frame count and the byte count of the stream into that first frame. Recorders and
    editors get the frame count wrong (copied from a longer take, never updated after an edit), while a
    file cut short always holds fewer bytes than declared: so an MP3 is judged by its bytes."""
    fh.seek(0)
    head = fh.read(64 * 1024)
    at = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        at = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        at += 10 if head[5] & 0x10 else 0
        fh.seek(at)
        head = fh.read(4096)
    else:
        head = head[:4096]
    sync = next((k for k in range(len(head) - 1) if head[k] == 0xFF and head[k + 1] & 0xE0 == 0xE0), None)
    if sync is None:
        return None
    frame = head[sync : sync + 256]
    for tag in (b"Xing", b"Info"):
        if (k := frame.find(tag)) >= 0 and k + 16 <= len(frame):
            flags = struct.unpack(">I", frame[k + 4 : k + 8])[0]
            if flags & 2:
                return at + sync, struct.unpack(">I", frame[k + 8 + 4 * (flags & 1) : k + 12 + 4 * (flags & 1)])[0]
            return None
    if frame[36:40] == b"VBRI" and len(frame) >= 50:
        return at + sync, struct.unpack(">I", frame[46:50])[0]
    return None


def _judge_mp3_bytes(start: int, declared: int, size: int, want_s: float) -> None:
    """Truncated when the MP3 holds fewer bytes than its header declares, by the tolerance (in seconds)."""
    if declared <= 0 or size >= declared:  # a count that includes the ID3 tag (some encoders) is whole here too
        return
    missing_s = want_s * max(0, declared - (size - start)) / declared
    if missing_s > max(_TRUNCATION_TOLERANCE_S, _TRUNCATION_TOLERANCE_FRAC * want_s):
        raise MediaError(
            TRUNCATED, f"the MP3 header declares {declared} bytes of audio but the file holds {size - start}"
        )


def _stream_info(s: Any, fmt: str, m: _Measure | None) -> StreamInfo:
    cc = s.codec_context
    lang = s.metadata.get("language")
    audio = s.type == "audio"
    t = m.timeline if m is not None and m.timeline.decoded > 0 else None
    return StreamInfo(
        index=s.index,
        kind=s.type,
        codec=(cc.name if cc is not None else None) or "unknown",
        sample_rate=int(cc.sample_rate) if audio and cc.sample_rate else None,
        channels=int(cc.channels) if audio and cc.channels else None,
        language=lang if lang and lang != "und" else None,
        duration_s=_declared_s(s, fmt),
        start_s=None if t is None else round(t.start_s or 0.0, 6),
        end_s=None if t is None else round(t.end_s, 6),
        decoded_s=None if t is None else round(t.decoded_s, 6),
        gap_s=None if t is None else round(t.gap_s, 6),
    )
