"""Large test media for the resumable upload: real speech, then a padding chunk (RIFF ``JUNK``)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from tests.fixtures import mediagen


def padded_speech_wav(path: Path, seconds: float, total_bytes: int, seed: int = 7) -> Path:
    """A 16 kHz mono WAV of ``seconds`` of real speech followed by a ``JUNK`` chunk up to ``total_bytes``.

    Decoders skip the padding (so the job is short), yet the upload, the hashing and the resume cover a
    file of the full size. The padding is pseudo-random, written 1 MiB at a time.
    """
    pcm = (np.clip(mediagen.speech(seconds), -1, 1) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 16000, 32000, 2, 16)
    data = struct.pack("<4sI", b"data", len(pcm)) + pcm
    pad = total_bytes - 12 - len(fmt) - len(data) - 8
    if pad < 0:
        raise ValueError("total_bytes is smaller than the speech")
    pad -= pad % 2
    block = np.random.default_rng(seed).integers(0, 256, 1024 * 1024, dtype=np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(struct.pack("<4sI4s", b"RIFF", 4 + len(fmt) + len(data) + 8 + pad, b"WAVE"))
        f.write(fmt)
        f.write(data)
        f.write(struct.pack("<4sI", b"JUNK", pad))
        left = pad
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    return path
