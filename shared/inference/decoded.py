"""A decoded Whisper window and the rules that judge it: used by the engine and by word alignment."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from shared.domain.transcript import TranscriptionOptions
from shared.inference.decoding import Hypothesis


def compression_ratio(text: str) -> float:
    """UTF-8 length over zlib-compressed length (faster-whisper's measure of repetition)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


@dataclass
class Decoded:
    """One window's decoding result and the rules that judge it (no speech, failed, first segment)."""

    hyp: Hypothesis
    no_speech_prob: float
    temperature: float
    language: str

    def first_segment_logprob(self, timestamp_begin: int) -> float:
        """Mean log-prob of the tokens up to the first closing timestamp (the whole output if none)."""
        toks, end = self.hyp.tokens, len(self.hyp.tokens)
        for i in range(1, len(toks)):
            if toks[i] >= timestamp_begin and toks[i - 1] < timestamp_begin:
                end = i + 1
                break
        lps = self.hyp.logprobs[:end]
        return float(np.mean(lps)) if lps else 0.0

    def silent(self, options: TranscriptionOptions, timestamp_begin: int) -> bool:
        """faster-whisper's no-speech rule, also testing the first segment's log-prob: on silence
        Whisper often loops on a confident repeat, which lifts the window average above the threshold."""
        if self.no_speech_prob <= options.no_speech_threshold:
            return False
        lp = min(self.hyp.avg_logprob, self.first_segment_logprob(timestamp_begin))
        return lp <= options.log_prob_threshold

    def failed(self, text: str, options: TranscriptionOptions) -> bool:
        return (compression_ratio(text) > options.compression_ratio_threshold
                or self.hyp.avg_logprob < options.log_prob_threshold)
