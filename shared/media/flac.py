"""Chunk audio as FLAC (16-bit, 16 kHz mono) in memory, and back to float32."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import av
import av.error
import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.container import FORMAT_WHITELIST
from shared.media.errors import NO_AUDIO_DECODED, NOT_MEDIA, MediaError


def encode_flac(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Encode float32 mono samples in [-1, 1] as a 16-bit FLAC file, in memory."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype(np.int16)
    buf = io.BytesIO()
    with av.open(buf, "w", format="flac") as out:
        st = out.add_stream("flac", rate=sample_rate, layout="mono")
        st.codec_context.format = "s16"
        step = 4096 * 16
        for i in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[i : i + step].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = i
            out.mux(st.encode(frame))
        out.mux(st.encode(None))
    return buf.getvalue()


def load_audio(source: bytes | Path) -> np.ndarray:
    """Decode a chunk (FLAC bytes or a file) to float32 mono at 16 kHz."""
    data = source if isinstance(source, bytes | bytearray) else Path(source).read_bytes()
    if not data:
        raise MediaError(NO_AUDIO_DECODED, "empty chunk")
    parts: list[np.ndarray] = []
    try:
        opts = {"format_whitelist": FORMAT_WHITELIST}  # never playlists: bytes may come over the network
        with contextlib.closing(av.open(io.BytesIO(data), "r", options=opts)) as c:
            if not c.streams.audio:
                raise MediaError(NO_AUDIO_DECODED, "chunk has no audio stream")
            rs = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in c.decode(c.streams.audio[0]):
                parts += [f.to_ndarray().reshape(-1) for f in rs.resample(frame)]
            parts += [f.to_ndarray().reshape(-1) for f in rs.resample(None)]
    except av.error.FFmpegError as e:
        raise MediaError(NOT_MEDIA, "chunk is not decodable audio") from e
    return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, np.float32)
