"""Low-frequency interference (mains hum, a DC offset, rumble) decided per chunk, for the speaker features.

The speaker encoder's 40 mel bands, the pitch tracker and the spectral envelope all start near 0 Hz, so a
50/60 Hz line at -10 dBFS or a DC offset dominates what they hear and voices are no longer told apart
(docs/benchmarks.md, "Speakers under mains hum or a DC offset": the embeddings are what it blinds).
High-passing every chunk would fix that but change every clean recording's features (its blob no longer
byte-identical, its clustering moved a little), so the chunk is high-passed for the speaker features only
when interference is measured in it:

``low_share`` = power below ``LOW_HZ`` (120 Hz, DC included) / all power, on 1 s blocks of the chunk
(bench/interference_share.py). On speech it is small: 0.00014 on pyannote's real sample, 0.007-0.021 on
the espeak-ng dialogues, 0.010-0.034 on espeak-ng's lowest male voices (pitch 0-20), 0.00008 on
telephone-band (300-3400 Hz) audio. Under 50 Hz hum it is 0.94-0.99 at -10 dBFS, 0.65-0.97 at -20 dBFS,
0.17-0.81 at -30 dBFS (60 Hz alike); under a DC offset of 0.03 0.42-0.94. ``LOW_SHARE`` (0.1) sits a
factor 3 above the highest clean speech measured and catches hum down to -30 dBFS on every file (where
dialogue-3 heard unfiltered found 4 speakers of 3, DER 17.5 %, and high-passed 3, DER 1.6 %). Fainter hum
(-40 dBFS: 0.03-0.30) is mostly left as it is; it did not split the dialogues' voices. A false alarm
costs little: the features of clean recordings high-passed gave the same counts and DER
(docs/benchmarks.md). Invariant: below the threshold the chunk's audio is returned unchanged (the same
object), so clean recordings' features are byte-identical to before.
"""

from __future__ import annotations

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.media.highpass import HighPass

LOW_HZ = 120.0  # below every voice's fundamental that matters to the features' speech band; above 50/60 Hz
LOW_SHARE = 0.1  # clean speech: <= 0.034 measured; hum at -30 dBFS: >= 0.17, at -10 dBFS: >= 0.94


def low_share(audio: np.ndarray, rate: int = SAMPLE_RATE, low_hz: float = LOW_HZ) -> float:
    """Share of the chunk's power below `low_hz` (DC included), from 1 s blocks (1 Hz bins; the last block
    zero-padded). 0.0 for silence."""
    x = np.asarray(audio, np.float64)
    if not x.size:
        return 0.0
    blocks = np.pad(x, (0, (-x.size) % rate)).reshape(-1, rate)
    spec = np.fft.rfft(blocks, axis=1)
    power = (spec.real**2 + spec.imag**2).sum(axis=0)
    total = float(power.sum())
    return float(power[: int(np.ceil(low_hz))].sum()) / total if total > 0.0 else 0.0


def speaker_audio(audio: np.ndarray) -> tuple[np.ndarray, bool]:
    """The audio the speaker features hear, and whether it was high-passed: `audio` itself when its
    ``low_share`` is under ``LOW_SHARE``, else `audio` through the 150 Hz high-pass that every VAD hears
    through (``shared.media.highpass``)."""
    if low_share(audio) < LOW_SHARE:
        return audio, False
    return HighPass()(np.asarray(audio, np.float32)), True
