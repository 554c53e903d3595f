"""Opening and vetting a media container before anything is decoded (PyAV, in process).

A file is refused with a clear MediaError before FFmpeg sizes anything by its header: missing or
empty, not a media file by its magic bytes (``sniff``), a demuxer outside ``FORMAT_WHITELIST`` (no
playlist or concat demuxer that opens other files), a WAV header whose data runs on past the file or
whose rate or channel count is impossible (``SAMPLE_RATES``, ``MAX_CHANNELS``). Then: which audio
stream to decode (``select_audio_stream``, ``audio_stream``), where the container's timeline starts and
how long it claims to be, and its packets with demux errors skipped and counted (``demux_packets``).
Decoding itself is ``shared.media.decode``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import av
import av.error

from shared.media.errors import (
    EMPTY_FILE,
    NO_AUDIO_DECODED,
    NO_AUDIO_STREAM,
    NOT_FOUND,
    NOT_MEDIA,
    TRUNCATED,
    UNSUPPORTED_AUDIO,
    MediaError,
)

IO_BUFFER = 256 * 1024
# What a real recorder writes: telephony's 8 kHz (and old dictaphones below) to studio 768 kHz; mono to a
# multitrack interview-room recorder. A header outside this lies, and is refused before any buffer is sized by it.
SAMPLE_RATES = (1000, 768_000)
MAX_CHANNELS = 64
_AVFMT_TS_DISCONT = 0x0200  # FFmpeg: the format allows timestamp discontinuities (av.format.Flags.ts_discont)
MAX_DEMUX_ERRORS = 50  # consecutive demux errors before the rest of the file is given up as truncated

# Demuxers accepted (FFmpeg names). Playlist/concat demuxers that open other files are never allowed.
FORMAT_WHITELIST = ",".join(
    [
        "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "wav", "w64", "mp3",
        "aac", "ogg", "flac", "asf", "amr", "amrnb", "amrwb", "caf", "aiff", "au", "mpegts", "mpeg",
        "flv", "wv", "ape", "tta", "ac3", "eac3", "dts", "gsm", "voc", "mxf", "dv", "nut", "xwma",
        "loas", "latm", "mpc", "mpc8", "tak", "mlp", "truehd", "sox", "aea",
    ]
)  # fmt: skip

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "MP4/MOV/3GP"),
    (0, b"RIFF", "RIFF (WAV/AVI)"),
    (0, b"RF64", "RF64 WAV"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"ID3", "MP3"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "ASF/WMA"),
    (0, b"#!AMR", "AMR"),
    (0, b"FORM", "AIFF"),
    (0, b"caff", "CAF"),
)


def sniff(head: bytes) -> str | None:
    """The media family whose magic bytes start `head`, if any."""
    for off, magic, name in _SIGNATURES:
        if head[off : off + len(magic)] == magic:
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF0 == 0xF0:
        return "ADTS AAC"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "MPEG audio"
    return None


def check_file(path: Path) -> int:
    """Size of `path` in bytes; MediaError when it is missing, not a file, or empty."""
    try:
        st = path.stat()
    except OSError as e:
        raise MediaError(NOT_FOUND, f"cannot read the file ({e.strerror})") from None
    if not path.is_file():
        raise MediaError(NOT_FOUND, "not a regular file")
    if st.st_size == 0:
        raise MediaError(EMPTY_FILE, "the file is empty (0 bytes)")
    return st.st_size


def open_container(fh: IO[bytes]) -> av.container.InputContainer:
    """Open a read-only binary handle as an FFmpeg input, mapping failures to MediaError."""
    head = fh.read(64)
    fh.seek(0)
    if (problem := _wav_header_problem(head)) is not None:  # before FFmpeg sizes anything by it
        raise MediaError(UNSUPPORTED_AUDIO, problem)
    options = {"format_whitelist": FORMAT_WHITELIST}
    if _wav_data_runs_on(fh):
        options["ignore_length"] = "1"
    try:
        return av.open(fh, mode="r", buffer_size=IO_BUFFER, options=options, metadata_errors="replace")
    except av.error.FFmpegError as e:
        family = sniff(head)
        if family is not None:
            raise MediaError(TRUNCATED, f"looks like {family} but cannot be opened: truncated or damaged") from e
        raise MediaError(NOT_MEDIA, "not a recognised audio or video file") from e


def _wav_data_runs_on(fh: IO[bytes]) -> bool:
    """Whether a WAV's audio runs on past the size its ``data`` chunk declares: the declared end is followed
    by no chunk header, only more bytes (a recorder that crashed before its last header update, a WAV over
    4 GiB whose 32-bit size wrapped). FFmpeg would stop at the declared size and drop the rest unheard."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    head = fh.read(12)
    try:
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return False
        pos = 12
        for _ in range(64):  # chunks before the audio: fmt, fact, bext, LIST, JUNK...
            fh.seek(pos)
            hdr = fh.read(8)
            if len(hdr) < 8:
                return False
            n = struct.unpack("<I", hdr[4:8])[0]
            if hdr[:4] == b"data":
                end = pos + 8 + n
                if n in (0, 0xFFFFFFFF) or end + 8 > size:  # unknown (FFmpeg reads to the end), or it fits
                    return False
                fh.seek(end + (end & 1 if end + 1 + 8 <= size else 0))
                nxt = fh.read(8)
                return not _chunk_header(nxt, fh.tell() - 8, size)
            pos += 8 + n + (n & 1)
        return False
    finally:
        fh.seek(0)


def _chunk_header(hdr: bytes, at: int, size: int) -> bool:
    """Whether `hdr` (read at offset `at`) is a plausible RIFF chunk header: a printable id whose size fits."""
    if len(hdr) < 8 or not all(32 <= c < 127 for c in hdr[:4]):
        return False
    return at + 8 + struct.unpack("<I", hdr[4:8])[0] <= size + 1


def _wav_header_problem(head: bytes) -> str | None:
    """What is impossible in a RIFF/WAVE header's format chunk (when it is the first chunk), if anything."""
    if head[:4] not in (b"RIFF", b"RF64") or head[8:16] != b"WAVEfmt " or len(head) < 36:
        return None
    channels, rate = struct.unpack("<HI", head[22:28])
    return _format_problem(rate, channels)


def _format_problem(rate: int | None, channels: int | None) -> str | None:
    if not rate or not SAMPLE_RATES[0] <= rate <= SAMPLE_RATES[1]:
        return f"the audio header declares an impossible sample rate ({rate or 0} Hz)"
    if not channels or not 1 <= channels <= MAX_CHANNELS:
        return f"the audio header declares an impossible channel count ({channels or 0})"
    return None


def format_problem(stream: Any) -> str | None:
    """Why an audio stream's declared sample rate or channel count cannot be real (None when they can)."""
    cc = stream.codec_context
    rate, channels = int(cc.sample_rate or 0), int(cc.channels or 0)
    if not rate or not channels:  # not known until decoding: the decoder decides
        return None
    return _format_problem(rate, channels)


def usable_audio(stream: Any) -> bool:
    """An audio stream with a decoder and a plausible sample rate and channel count."""
    return has_decoder(stream) and format_problem(stream) is None


def select_audio_stream(container: av.container.InputContainer) -> Any:
    """The default audio stream (first one flagged default, else the first), skipping undecodable ones."""
    audio = [s for s in container.streams if s.type == "audio"]
    if not audio:
        raise MediaError(NO_AUDIO_STREAM, "the file contains no audio stream")
    usable = [s for s in audio if usable_audio(s)]
    if not usable:
        problems = [f"stream #{s.index}: {p}" for s in audio if has_decoder(s) and (p := format_problem(s))]
        if problems:
            raise MediaError(UNSUPPORTED_AUDIO, "; ".join(problems))
        raise MediaError(NO_AUDIO_DECODED, "no decoder for the audio stream's codec")
    default = [s for s in usable if s.disposition & av.stream.Disposition.default]
    return (default or usable)[0]


def has_decoder(stream: Any) -> bool:
    try:
        return stream.codec_context is not None and bool(stream.codec_context.name)
    except (av.error.FFmpegError, ValueError):
        return False


def container_origin(container: av.container.InputContainer) -> float:
    """Seconds at which the container's timeline starts (0 when the container does not say)."""
    start = container.start_time
    return float(start) / av.time_base if start is not None else 0.0


def container_span(container: av.container.InputContainer) -> float | None:
    """The container's declared length in seconds from its start, where it can bound a long lead-in or hole
    (``shared.media.timeline``). None when it declares none, and for formats whose timestamps may jump
    (MPEG-TS/PS, Ogg: FFmpeg's ``ts_discont``), whose length is only the last stamp minus the first."""
    if int(container.format.flags) & _AVFMT_TS_DISCONT:
        return None
    d = container.duration
    return float(d) / av.time_base if d is not None and d > 0 else None


def audio_stream(container: av.container.InputContainer, index: int | None) -> Any:
    """Stream number `index` (an audio stream with a decoder), or the default one when None."""
    if index is None:
        return select_audio_stream(container)
    found = [s for s in container.streams if s.index == index and s.type == "audio"]
    if not found or not has_decoder(found[0]):
        raise MediaError(NO_AUDIO_STREAM, f"the file has no decodable audio stream #{index}")
    if (problem := format_problem(found[0])) is not None:
        raise MediaError(UNSUPPORTED_AUDIO, f"stream #{index}: {problem}")
    return found[0]


def demux_packets(container: av.container.InputContainer, stream: Any, counts: dict[str, int]) -> Iterator[Any]:
    """Packets of `stream` (or of each stream in a list) only, resuming past demux errors
    (counted in counts['demux_errors'])."""
    streams = stream if isinstance(stream, list | tuple) else [stream]
    errors = 0
    while True:
        try:
            for packet in container.demux(*streams):
                errors = 0
                yield packet
            return
        except av.error.EOFError:
            return
        except av.error.FFmpegError:
            counts["demux_errors"] = counts.get("demux_errors", 0) + 1
            errors += 1
            if errors >= MAX_DEMUX_ERRORS:
                return
