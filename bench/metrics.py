"""Word error rate with one text normalisation, shared by the benchmark and the accuracy tests."""

from __future__ import annotations

import re

import jiwer

_PUNCT = re.compile(r"[^\w\s']")


def normalise(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes kept), white space folded."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp))


def word_count(text: str) -> int:
    return len(normalise(text).split())
