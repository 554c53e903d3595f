"""Segments with no speech under them: text Whisper wrote over a click, a knock or room tone.

A VAD region can reach a sound that is not speech (a recorder's stop click lifts Silero to 0.5 for one
frame), its window then holds a second or two of no speech, and Whisper may fill it with a stock
phrase ("Thank you."). The window-level no-speech guard does not catch it: the window also holds real
speech. So every segment is checked against the VAD on its own span: the speech heard under it is the
sum, over the 32 ms frames whose speech probability is at least ``SPEECH_FLOOR``, of probability x
frame length, over the segment's span widened by ``SLACK_S`` each side (Whisper's timestamps are
coarse). A segment with less than ``MIN_HEARD_S`` of speech under it is refused: a single spoken word
("Yes") gives 0.2 s or more, a click 0.03-0.05 s. Refused segments are listed in ``skipped`` with
``NO_SPEECH_HEARD``, never kept as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.domain.transcript import Segment
from shared.media.vad import FRAME, SileroVad, heard_probs

NO_SPEECH_HEARD = "no_speech_heard"
SPEECH_FLOOR = 0.35  # the VAD's default neg_threshold: below it a frame is not speech at all
MIN_HEARD_S = 0.1  # about three confident frames
SLACK_S = 0.2
FRAME_S = FRAME / SAMPLE_RATE


def speech_probabilities(audio: np.ndarray, vad_model: Path) -> np.ndarray:
    """Silero's speech probability of each 32 ms frame of ``audio`` (16 kHz mono; the last frame padded),
    heard through the high-pass as planning heard it (``vad.heard_probs``)."""
    return heard_probs(audio, SileroVad(vad_model))


def heard_s(probs: np.ndarray, start_s: float, end_s: float) -> float:
    """Seconds of speech the VAD heard in [start_s - SLACK_S, end_s + SLACK_S] (times on ``probs``' clock)."""
    a = max(0, int(np.floor((start_s - SLACK_S) / FRAME_S)))
    b = min(len(probs), int(np.ceil((end_s + SLACK_S) / FRAME_S)))
    p = probs[a:b]
    return float(np.sum(p[p >= SPEECH_FLOOR]) * FRAME_S)


def refuse_unspoken(
    segments: Sequence[Segment], probs: np.ndarray
) -> tuple[list[Segment], list[tuple[float, float, str]]]:
    """``segments`` split into those with speech under them and ``(start, end, NO_SPEECH_HEARD)`` for the rest.

    Times of ``segments`` and ``probs`` share one clock (the chunk's)."""
    kept: list[Segment] = []
    refused: list[tuple[float, float, str]] = []
    for s in segments:
        if heard_s(probs, s.start, s.end) < MIN_HEARD_S:
            refused.append((round(s.start, 3), round(s.end, 3), NO_SPEECH_HEARD))
        else:
            kept.append(s)
    return kept, refused
