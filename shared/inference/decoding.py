"""Batched greedy, sampling and beam-search decoding over a KV-cached decoder (numpy only).

Logit filters follow openai-whisper: suppress blank at the first position, suppress non-speech
tokens, and timestamp rules (timestamps come in pairs and never decrease, the first token is a
timestamp no later than 1.0 s, and a timestamp is forced when the total timestamp probability
exceeds the best text token). Beam ranking divides the summed log-probability by
``length ** length_penalty`` (CTranslate2 / faster-whisper convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.inference.sessions import DecoderRunner

NEG_INF = -np.inf


@dataclass(frozen=True)
class DecodeConfig:
    eot: int
    timestamp_begin: int | None  # None: no timestamp rules (MT models or <|notimestamps|>)
    no_timestamps: int | None = None
    suppress_tokens: tuple[int, ...] = ()
    blank_tokens: tuple[int, ...] = ()
    suppress_blank: bool = True
    max_new_tokens: int = 224
    max_initial_timestamp_index: int = 50  # 1.0 s / 0.02 s
    forced_first: int | None = None  # forced first generated token (M2M100 / NLLB target language)


@dataclass
class Hypothesis:
    """One decoded sequence (generated tokens only, end-of-text excluded)."""

    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)

    @property
    def sum_logprob(self) -> float:
        return float(np.sum(self.logprobs, dtype=np.float64))

    @property
    def avg_logprob(self) -> float:
        return self.sum_logprob / (len(self.tokens) + 1)


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    m = np.max(x, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))


def apply_filters(logits: np.ndarray, generated: list[list[int]], cfg: DecodeConfig) -> np.ndarray:
    """Filtered copy of ``logits`` (N, V) given each row's generated tokens so far."""
    out = logits.astype(np.float32, copy=True)
    if cfg.forced_first is not None:
        for i, seq in enumerate(generated):
            if not seq:
                out[i, :] = NEG_INF
                out[i, cfg.forced_first] = 0.0
        if all(not s for s in generated):
            return out
    if cfg.suppress_tokens:
        out[:, list(cfg.suppress_tokens)] = NEG_INF
    if cfg.suppress_blank and cfg.blank_tokens:
        for i, seq in enumerate(generated):
            if not seq:
                out[i, list(cfg.blank_tokens)] = NEG_INF
    tb = cfg.timestamp_begin
    if tb is None:
        return out
    if cfg.no_timestamps is not None:
        out[:, cfg.no_timestamps] = NEG_INF
    for i, seq in enumerate(generated):
        row = out[i]
        last_ts = len(seq) >= 1 and seq[-1] >= tb
        penult_ts = len(seq) < 2 or seq[-2] >= tb
        if last_ts:
            if penult_ts:
                row[tb:] = NEG_INF  # a pair just closed: text (or end) next
            else:
                row[: cfg.eot] = NEG_INF  # an open timestamp: another timestamp or end next
        stamps = [t for t in seq if t >= tb]
        if stamps:
            floor = stamps[-1] if (last_ts and not penult_ts) else stamps[-1] + 1
            row[tb:floor] = NEG_INF
        if not seq:
            row[:tb] = NEG_INF
            row[tb + cfg.max_initial_timestamp_index + 1:] = NEG_INF
        lp = log_softmax(row[None, :])[0]
        ts_mass = np.logaddexp.reduce(lp[tb:])
        if ts_mass > np.max(lp[:tb]):
            row[:tb] = NEG_INF
    return out


def _start(runner: DecoderRunner, prefix: np.ndarray, encoder: Any,
           extra: dict[str, np.ndarray] | None) -> tuple[np.ndarray, Any, np.ndarray]:
    logits, cache, _ = runner.start(prefix, encoder, extra)
    return logits[:, -1, :], cache, logits


def greedy(runner: DecoderRunner, prefix: np.ndarray, encoder: Any, cfg: DecodeConfig,
           temperature: float = 0.0, rng: np.random.Generator | None = None,
           extra: dict[str, np.ndarray] | None = None) -> tuple[list[Hypothesis], np.ndarray]:
    """Greedy (temperature 0) or sampled decoding of ``B`` rows. Returns hypotheses and the
    first-pass logits ``(B, T, V)`` of the prefix (for no-speech probability)."""
    batch = prefix.shape[0]
    logits, cache, prefix_logits = _start(runner, prefix, encoder, extra)
    hyps = [Hypothesis() for _ in range(batch)]
    done = np.zeros(batch, dtype=bool)
    for step in range(cfg.max_new_tokens):
        filtered = apply_filters(logits, [h.tokens for h in hyps], cfg)
        lp = log_softmax(filtered)
        if temperature > 0:
            assert rng is not None, "sampling needs a seeded generator"
            with np.errstate(invalid="ignore"):
                g = rng.gumbel(size=lp.shape)
            nxt = np.argmax(lp / temperature + g, axis=-1)
        else:
            nxt = np.argmax(lp, axis=-1)
        for i in range(batch):
            if done[i]:
                nxt[i] = cfg.eot
                continue
            tok = int(nxt[i])
            hyps[i].logprobs.append(float(lp[i, tok]))
            if tok == cfg.eot:
                done[i] = True
            else:
                hyps[i].tokens.append(tok)
        if done.all() or step == cfg.max_new_tokens - 1:
            break
        logits, cache = runner.step(nxt[:, None].astype(np.int64), cache, extra)
    # logprob of the final end-of-text is part of the sum (as in openai-whisper / CTranslate2)
    return hyps, prefix_logits


def beam_search(runner: DecoderRunner, prefix: np.ndarray, encoder: Any, cfg: DecodeConfig,
                beam_size: int = 5, patience: float = 1.0, length_penalty: float = 1.0,
                extra: dict[str, np.ndarray] | None = None) -> tuple[list[Hypothesis], np.ndarray]:
    """Beam search for ``B`` rows; ``encoder`` (and ``extra``) must already hold ``B * beam_size`` rows
    (each row repeated ``beam_size`` times). Returns the best hypothesis per row."""
    k = beam_size
    n = prefix.shape[0]
    batch = n // k
    max_candidates = max(1, round(k * patience))
    logits, cache, prefix_logits = _start(runner, prefix, encoder, extra)
    beams = [Hypothesis() for _ in range(n)]
    scores = np.zeros(n, dtype=np.float64)
    finished: list[dict[tuple[int, ...], Hypothesis]] = [{} for _ in range(batch)]
    for step in range(cfg.max_new_tokens):
        lp = log_softmax(apply_filters(logits, [b.tokens for b in beams], cfg))
        nxt = np.full(n, cfg.eot, dtype=np.int64)
        src = np.arange(n)
        new_beams: list[Hypothesis] = list(beams)
        new_scores = scores.copy()
        for a in range(batch):
            cands: dict[tuple[int, ...], tuple[float, int, int, float]] = {}
            for j in range(k):
                row = a * k + j
                part = np.argpartition(-lp[row], k)[: k + 1]
                top = part[np.lexsort((part, -lp[row, part]))]
                for tok in top:
                    tok_lp = float(lp[row, tok])
                    if not np.isfinite(tok_lp):
                        continue
                    seq = (*beams[row].tokens, int(tok))
                    s = scores[row] + tok_lp
                    if seq not in cands or s > cands[seq][0]:
                        cands[seq] = (s, row, int(tok), tok_lp)
            kept = 0
            for seq, (s, row, tok, tok_lp) in sorted(cands.items(), key=lambda kv: (-kv[1][0], kv[0])):
                if tok == cfg.eot:
                    if len(finished[a]) < max_candidates:
                        finished[a][seq[:-1]] = Hypothesis(list(seq[:-1]), [*beams[row].logprobs, tok_lp])
                    continue
                dst = a * k + kept
                nxt[dst], src[dst], new_scores[dst] = tok, row, s
                new_beams[dst] = Hypothesis(list(seq), [*beams[row].logprobs, tok_lp])
                kept += 1
                if kept == k:
                    break
        beams, scores = new_beams, new_scores
        if all(len(f) >= max_candidates for f in finished) or step == cfg.max_new_tokens - 1:
            break
        if not np.array_equal(src, np.arange(n)):
            cache = runner.reorder(cache, src)
        logits, cache = runner.step(nxt[:, None], cache, extra)
    best: list[Hypothesis] = []
    for a in range(batch):
        pool = dict(finished[a])
        if len(pool) < max_candidates:
            for j in np.argsort(-scores[a * k:(a + 1) * k], kind="stable"):
                b = beams[a * k + int(j)]
                pool.setdefault(tuple(b.tokens), b)
                if len(pool) >= max_candidates:
                    break

        def rank(h: Hypothesis) -> float:
            return h.sum_logprob / (max(len(h.tokens), 1) ** length_penalty)

        best.append(max(sorted(pool.values(), key=lambda h: tuple(h.tokens)), key=rank))
    return best, prefix_logits[::k]
