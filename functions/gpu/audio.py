"""The FLAC body of a transcribe request, decoded as a stream that stops at the service's limit.

A FLAC of silence compresses ~5000:1, so the body size says nothing about the decoded size: decoding
stops (413 ``too_long``) as soon as the decoded duration passes ``max_s``, counted on the frames'
own sample rate before resampling, and the output never holds more than ``max_s`` of float32 samples.
Only the FLAC demuxer is allowed: the service's wire format is FLAC.
"""

from __future__ import annotations

import contextlib
import io

import av
import av.error
import numpy as np

from shared.domain.audio_format import SAMPLE_RATE


class AudioTooLong(Exception):
    """The body decodes to more than the service accepts."""


class BadAudio(Exception):
    """The body is not decodable FLAC audio."""


def decode_capped(data: bytes, max_s: float) -> np.ndarray:
    """float32 mono 16 kHz samples of ``data``; raises :class:`AudioTooLong` past ``max_s`` seconds."""
    if not data:
        raise BadAudio("empty body")
    limit = int(max_s * SAMPLE_RATE)
    out = np.empty(min(limit, 60 * SAMPLE_RATE), np.float32)
    n, seen_s = 0, 0.0

    def append(frames: list[av.AudioFrame]) -> None:
        nonlocal out, n
        for f in frames:
            pcm = f.to_ndarray().reshape(-1)
            if n + len(pcm) > limit:
                raise AudioTooLong(f"audio longer than {max_s:.0f} s")
            if n + len(pcm) > len(out):
                out = np.resize(out, min(limit, max(2 * len(out), n + len(pcm))))
            out[n : n + len(pcm)] = pcm
            n += len(pcm)

    try:
        with contextlib.closing(av.open(io.BytesIO(data), "r", format="flac")) as c:
            if not c.streams.audio:
                raise BadAudio("no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in c.decode(c.streams.audio[0]):
                seen_s += frame.samples / max(1, frame.sample_rate)
                if seen_s > max_s + 0.5:  # before resampling: a low-rate stream cannot slip through
                    raise AudioTooLong(f"audio longer than {max_s:.0f} s")
                append(resampler.resample(frame))
            append(resampler.resample(None))
    except av.error.FFmpegError:
        raise BadAudio("not decodable FLAC audio") from None
    if n == 0:
        raise BadAudio("no audio could be decoded from the body")
    return out[:n].copy()
