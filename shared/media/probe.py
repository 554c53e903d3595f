"""Probe a recording: container, streams, measured duration, and SHA-256 of the original bytes.

The file is opened read-only. The hash covers every byte of the file and is computed from the
bytes FFmpeg reads while demuxing (when it reads them in order), topped up by a block read of
whatever it skipped, so the whole file is never held in memory and is usually read only once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

import av
import av.error

from shared.media.decode import check_file, demux_packets, open_container, select_audio_stream
from shared.media.errors import NO_AUDIO_DECODED, TOO_LONG, TRUNCATED, MediaError

HASH_BLOCK = 1024 * 1024
# Containers whose header states the true length (so a shortfall of data means truncation).
_DECLARED_LENGTH_FORMATS = ("mov", "mp4", "matroska", "flac", "mp3")
_TRUNCATION_TOLERANCE_S = 2.0
_TRUNCATION_TOLERANCE_FRAC = 0.10


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str  # "audio" | "video" | "subtitle" | "data" ...
    codec: str
    sample_rate: int | None
    channels: int | None
    language: str | None
    duration_s: float | None


@dataclass(frozen=True)
class MediaInfo:
    path_name: str  # file name only (never the storage path)
    size_bytes: int
    sha256: str
    format_name: str
    duration_s: float  # measured from the chosen audio stream's packets
    streams: tuple[StreamInfo, ...]
    audio_stream_index: int
    bit_rate: int | None = None
    declared_duration_s: float | None = None  # what the container header claims, if anything

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["streams"] = [asdict(s) for s in self.streams]
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
            streams = tuple(_stream_info(s) for s in c.streams)
            audio = select_audio_stream(c)
            audio_index = int(audio.index)
            fmt = c.format.name
            declared = c.duration / av.time_base if c.duration and c.duration > 0 else None
            bit_rate = int(c.bit_rate) if c.bit_rate else None
            measured, decoded = _measure(c, audio)
        if fmt == "wav":
            _check_riff_size(raw, size)
        sha = reader.finish()
    if not decoded:
        raise MediaError(NO_AUDIO_DECODED, "the audio stream holds no decodable audio")
    if measured <= 0:
        raise MediaError(NO_AUDIO_DECODED, "the audio stream has zero duration")
    if declared is not None and any(f in fmt.split(",") for f in _DECLARED_LENGTH_FORMATS):
        short = declared - measured
        if short > max(_TRUNCATION_TOLERANCE_S, _TRUNCATION_TOLERANCE_FRAC * declared):
            raise MediaError(TRUNCATED, f"the header declares {declared:.1f} s but the data holds {measured:.1f} s")
    if max_duration_s is not None and measured > max_duration_s:
        raise MediaError(TOO_LONG, f"duration {measured:.0f} s exceeds the limit of {max_duration_s:.0f} s")
    return MediaInfo(
        path_name=path.name,
        size_bytes=size,
        sha256=sha,
        format_name=fmt,
        duration_s=round(measured, 6),
        streams=streams,
        audio_stream_index=audio_index,
        bit_rate=bit_rate,
        declared_duration_s=round(declared, 6) if declared is not None else None,
    )


def _measure(c: av.container.InputContainer, stream: Any) -> tuple[float, bool]:
    """(span of the audio packets' timestamps in seconds, whether any packet decoded to audio)."""
    tb = stream.time_base
    first: float | None = None
    end = 0.0
    decoded = False
    counts: dict[str, int] = {}
    for packet in demux_packets(c, stream, counts):
        if not packet.size:
            continue
        if not decoded:  # decode until the first frame comes out: proves the codec data is sane
            with contextlib.suppress(av.error.FFmpegError):
                decoded = any(f.samples for f in stream.decode(packet))
        if packet.pts is None or tb is None:
            continue
        start = float(packet.pts * tb)
        first = start if first is None else min(first, start)
        end = max(end, start + float((packet.duration or 0) * tb))
    return (end - first if first is not None else 0.0), decoded


def _check_riff_size(fh: BinaryIO, size: int) -> None:
    """WAV: FFmpeg clamps to the file size, so compare the RIFF header's size field ourselves."""
    fh.seek(0)
    head = fh.read(8)
    if len(head) == 8 and head[:4] == b"RIFF":
        declared = struct.unpack("<I", head[4:8])[0] + 8
        if 8 < declared < 0xFFFFFFFF and declared > size:  # 0 / 0xFFFFFFFF: streaming writer, unknown
            raise MediaError(TRUNCATED, f"the WAV header declares {declared} bytes but the file has {size}")


def _stream_info(s: Any) -> StreamInfo:
    cc = s.codec_context
    lang = s.metadata.get("language")
    audio = s.type == "audio"
    return StreamInfo(
        index=s.index,
        kind=s.type,
        codec=(cc.name if cc is not None else None) or "unknown",
        sample_rate=int(cc.sample_rate) if audio and cc.sample_rate else None,
        channels=int(cc.channels) if audio and cc.channels else None,
        language=lang if lang and lang != "und" else None,
        duration_s=float(s.duration * s.time_base) if s.duration and s.time_base else None,
    )
