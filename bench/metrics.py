"""Word error rate with one text normalisation, shared by the benchmark and the accuracy tests."""

from __future__ import annotations

import re

import jiwer

_PUNCT = re.compile(r"[^\w\s']")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?![\w])")
_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spell_number(n: int) -> str:
    """English cardinal words for 0 <= n < 1,000,000 ("ninety eight", "four thousand"), no "and"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + spell_number(n % 100))
    return spell_number(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + spell_number(n % 1000))


def _spell(match: re.Match[str]) -> str:
    digits = match.group(1).replace(",", "")
    return spell_number(int(digits)) if int(digits) < 1_000_000 else digits


def normalise(text: str, numbers: bool = False) -> str:
    """Lower case, punctuation dropped (apostrophes kept), white space folded. With ``numbers``,
    digit strings first become words ("£4,000" -> "four thousand", "1:45" -> "one forty five"), so
    that Whisper's digits and a reference's spoken words compare equal."""
    if numbers:
        text = _NUMBER.sub(_spell, text)
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def wer(reference: str, hypothesis: str, numbers: bool = False) -> float:
    ref, hyp = normalise(reference, numbers), normalise(hypothesis, numbers)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp))


def word_count(text: str) -> int:
    return len(normalise(text).split())


def pooled_wer(references: list[str], hypotheses: list[str], numbers: bool = False) -> float:
    """WER over a set: all files' errors over all their reference words (not a mean of rates)."""
    pairs = [(normalise(r, numbers), normalise(h, numbers)) for r, h in zip(references, hypotheses, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))
