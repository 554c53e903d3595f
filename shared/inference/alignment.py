"""Word timestamps.

With a package whose decoder outputs cross-attention weights (manifest ``cross_attentions: true``,
outputs ``cross_attentions.N``), words are aligned as openai-whisper / transformers do: a forced
pass over ``sot + <|notimestamps|> + text + eot`` collects the alignment heads' attention over the
window's encoder frames; it is normalised per frame (z-score over tokens), median-filtered
(width 7), averaged over heads, and dynamic time warping of its negation gives each token's
first frame (20 ms resolution). Word times are then clipped to their segment.

Without cross-attentions (older packages) the fallback spreads each segment's duration over
its words in proportion to their character counts. That is only an estimate: on ordinary
speech word boundaries typically land within a few hundred ms, but pauses inside a segment are
not seen, so errors can reach the length of the pause. Consumers should treat such word times
as approximate (the segment times remain the decoder's timestamps).

Word probabilities are the mean probability of the word's tokens from the decoding pass.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from shared.domain.transcript import Segment, Word
from shared.inference.decoded import Decoded
from shared.inference.sessions import DecoderRunner
from shared.inference.tokenizer import WhisperTokenizer


class AlignedModel(Protocol):
    """What alignment reads of the Whisper engine (:class:`shared.inference.whisper.WhisperEngine`)."""

    tokenizer: WhisperTokenizer
    decoder: DecoderRunner
    cross_attention_outputs: list[str]
    alignment_heads: list[tuple[int, ...]]


TOKENS_PER_SECOND = 50  # encoder frames per second
MEDIAN_WIDTH = 7
PREPEND = "\"'“¿([{-"
APPEND = "\"'.。,，!！?？:：”)]}、"
NO_SPACE_LANGS = {"zh", "ja", "th", "lo", "my", "yue"}


def dtw(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monotonic alignment path through ``cost`` (N, M): (row indices, column indices).

    Cells are filled along anti-diagonals (vectorised); ties prefer the left move, as in
    openai-whisper's ``dtw_cpu``."""
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    trace = np.full((n + 1, m + 1), -1, dtype=np.int8)
    for d in range(2, n + m + 1):
        i = np.arange(max(1, d - m), min(n, d - 1) + 1)
        j = d - i
        c0, c1, c2 = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
        t = np.where((c0 < c1) & (c0 < c2), 0, np.where((c1 < c0) & (c1 < c2), 1, 2))
        acc[i, j] = cost[i - 1, j - 1] + np.choose(t, [c0, c1, c2])
        trace[i, j] = t
    trace[0, :] = 2
    trace[:, 0] = 1
    rows, cols = [], []
    i, j = n, m
    while i > 0 or j > 0:
        rows.append(i - 1)
        cols.append(j - 1)
        t = trace[i, j]
        if t == 0:
            i, j = i - 1, j - 1
        elif t == 1:
            i -= 1
        else:
            j -= 1
    return np.array(rows[::-1]), np.array(cols[::-1])


def median_filter(x: np.ndarray, width: int = MEDIAN_WIDTH) -> np.ndarray:
    """Median over a sliding window on the last axis (reflect padding)."""
    pad = width // 2
    if x.shape[-1] <= pad:
        return x
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1), axis=-1)


def split_words(engine: AlignedModel, tokens: list[int], language: str) -> list[list[int]]:
    """Group text tokens into words (split on spaces/punctuation, or per character for CJK etc.)."""
    tok = engine.tokenizer
    units: list[tuple[str, list[int]]] = []
    run: list[int] = []
    for t in tokens:  # a unit ends once the accumulated tokens decode to whole characters
        run.append(t)
        text = tok.decode(run)
        if "\ufffd" not in text:
            units.append((text, run))
            run = []
    if run:
        units.append((tok.decode(run), run))
    if language in NO_SPACE_LANGS:
        return [u[1] for u in units]
    words: list[tuple[str, list[int]]] = []
    for text, ids in units:
        stripped = text.strip()
        if not words or text.startswith(" ") or (stripped and all(c in APPEND + PREPEND for c in stripped)):
            words.append((text, list(ids)))
        else:
            words[-1] = (words[-1][0] + text, words[-1][1] + ids)
    # attach punctuation to its neighbour word
    merged: list[tuple[str, list[int]]] = []
    carry: list[int] = []
    for text, ids in words:
        s = text.strip()
        if s and text.startswith(" ") and all(c in PREPEND for c in s):
            carry += ids
            continue
        ids = carry + ids
        carry = []
        if merged and s and all(c in APPEND for c in s) and not text.startswith(" "):
            merged[-1] = (merged[-1][0] + text, merged[-1][1] + ids)
        else:
            merged.append((text, ids))
    if carry:
        merged.append(("", carry))
    return [ids for _, ids in merged]


def _token_times(engine: AlignedModel, encoded: Any, row: int, d: Decoded, task: str,
                 text_tokens: list[int], frames: int) -> np.ndarray:
    """Start time (s, window-relative) of each text token and of the end: ``len + 1`` values."""
    tok = engine.tokenizer
    sot = tok.sot_sequence(d.language, task)
    ids = np.array([[*sot, tok.no_timestamps, *text_tokens, tok.eot]], dtype=np.int64)
    host = engine.decoder.to_host(encoded)[row:row + 1]
    _, _, extras = engine.decoder.start(ids, engine.decoder.to_device(host), want=engine.cross_attention_outputs)
    heads = np.stack([extras[f"cross_attentions.{layer}"][0, head] for layer, head in engine.alignment_heads])
    weights = heads[:, :, : max(frames // 2, 1)].astype(np.float64)  # (H, T, F)
    std = weights.std(axis=-2, keepdims=True)
    mean = weights.mean(axis=-2, keepdims=True)
    weights = median_filter((weights - mean) / np.where(std > 0, std, 1.0))
    matrix = weights.mean(axis=0)[len(sot):-1]  # rows: <|notimestamps|> .. last text token
    rows, cols = dtw(-matrix)
    jumps = np.concatenate([[True], np.diff(rows) > 0])
    return cols[jumps] / TOKENS_PER_SECOND


def add_word_timestamps(engine: AlignedModel, encoded: Any, row: int, d: Decoded,
                        pieces: list[tuple[Segment, list[int], list[float]]], start: float,
                        end: float, task: str = "transcribe") -> list[Segment]:
    """Segments with ``words`` filled, for one window."""
    all_tokens = [t for _, toks, _ in pieces for t in toks]
    times: np.ndarray | None = None
    if engine.cross_attention_outputs and engine.alignment_heads and all_tokens:
        times = _token_times(engine, encoded, row, d, task, all_tokens, round((end - start) * 100))
    out: list[Segment] = []
    offset = 0
    for seg, toks, lps in pieces:
        groups = split_words(engine, toks, seg.language)
        words: list[Word] = []
        chars = [max(len(engine.tokenizer.decode(g).strip()), 1) for g in groups]
        total = float(sum(chars)) or 1.0
        pos, acc = 0, 0.0
        for g, c in zip(groups, chars, strict=True):
            text = engine.tokenizer.decode(g)
            prob = float(np.mean(np.exp(lps[pos:pos + len(g)]))) if lps else 0.0
            if times is not None:
                ws = start + float(times[offset + pos])
                we = start + float(times[offset + pos + len(g)])
            else:
                ws = seg.start + (seg.end - seg.start) * acc / total
                we = seg.start + (seg.end - seg.start) * (acc + c) / total
            ws = min(max(ws, seg.start), seg.end)
            we = min(max(we, ws), seg.end)
            if words and ws < words[-1].end:
                ws = words[-1].end
                we = max(we, ws)
            if text.strip():
                words.append(Word(round(ws, 3), round(we, 3), text, round(prob, 4)))
            pos += len(g)
            acc += c
        offset += len(toks)
        out.append(Segment(seg.start, seg.end, seg.text, seg.language, seg.avg_logprob, seg.no_speech_prob,
                           seg.compression_ratio, seg.temperature, tuple(words)))
    return out
