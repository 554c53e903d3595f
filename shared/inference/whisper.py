"""Whisper transcription over an ONNX package (numpy + onnxruntime + tokenizers only).

Windows (speech regions from the caller's VAD / chunk planner, most of at most 30 s) are encoded in
batches and decoded with timestamps. A window longer than 30 s (speech the planner found no pause to
cut in) is read as faster-whisper reads joined speech: 30 s at a time, each next window starting at
the last closing timestamp, the segment cut by the window's end dropped and read again from there
(``_seek``). Behaviour, following faster-whisper where it applies:

* Language: ``options.language`` if set; otherwise each window is decoded in the language
  detected on that window (restricted to ``options.language_candidates``), and the result's
  language is the average-probability winner over all windows. English-only models: always 'en'.
  Without candidates, detection never picks a language of :data:`NOT_DETECTED` (Latin: no recording
  is spoken in it, and Whisper's language head gives it to Portuguese, Romanian and other Romance
  speech it is unsure of, which then misses the text-model route); ``language="la"`` still works.
* Decoding: beam search when ``beam_size > 1`` else greedy, at temperature 0. Only when
  ``options.temperatures`` has more than one value are failed windows (compression ratio >
  threshold or avg log-prob < threshold) re-decoded by sampling ``best_of`` candidates at the next
  temperature, with a generator seeded from the batch and temperature (so runs repeat exactly).
  When every temperature fails, the best result with an acceptable compression ratio (else the
  best overall) is kept, as faster-whisper does.
* Guards: a window (an unread tail too, see ``_unfinished_from``) is dropped when
  ``no_speech_prob > no_speech_threshold`` and its avg log-prob
  (or the mean log-prob of its first segment: silence often yields a confident repetition loop
  that lifts the window average) is not above ``log_prob_threshold``. Segments whose own
  compression ratio exceeds the threshold (repetition loops) are dropped, and consecutive
  identical segments of a window are collapsed.
* Segments come from timestamp-token pairs; times are window start + token time, clipped to the
  window. Text after the last timestamp (no closing one) ends at the window end.
* Per segment: ``avg_logprob`` is the mean log-probability of its tokens, ``no_speech_prob`` the
  window's probability of ``<|nospeech|>`` after ``<|startoftranscript|>``, ``compression_ratio``
  the zlib ratio of its text, ``temperature`` the window's decoding temperature.
* Prompts: ``<|startofprev|>`` + hotwords + initial prompt (faster-whisper ordering). With
  ``batch_size`` 1 (window by window, the CLI's default at beam > 1) each window is also prompted
  with the text of the windows decoded before it in the same call, as faster-whisper's
  ``condition_on_previous_text`` does (reset after a window decoded above temperature 0.5).
* Word timestamps: see ``shared.inference.alignment``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from shared.domain.audio_format import SAMPLE_RATE
from shared.domain.transcript import LanguageDetection, Segment, TranscriptionOptions, TranscriptionResult
from shared.inference import alignment
from shared.inference.decoded import Decoded, compression_ratio
from shared.inference.decoding import DecodeConfig, Hypothesis, beam_search, greedy, log_softmax
from shared.inference.features import CHUNK_SECONDS, FeatureExtractor
from shared.inference.package import ModelPackage, open_package
from shared.inference.sessions import DecoderRunner, EncoderRunner, ProviderSpec, create_session, device_of
from shared.inference.tokenizer import TIME_PRECISION, WhisperTokenizer

MAX_TARGET_POSITIONS = 448
REPETITION = "repetition"  # the window's text failed the compression-ratio guard: Whisper looped
MIN_CONTINUATION_S = 1.0  # an unread tail shorter than this is left (too short for a word)
MAX_CONTINUATIONS = 3
PROMPT_RESET_TEMPERATURE = 0.5  # text decoded above this temperature does not prompt the next window


# Languages automatic detection never picks (explicit candidates or ``language`` may still name them).
NOT_DETECTED = frozenset({"la"})


def default_windows(duration: float) -> list[tuple[float, float]]:
    """Consecutive 30 s windows covering ``duration`` seconds."""
    out, t = [], 0.0
    while t < duration:
        out.append((t, min(t + CHUNK_SECONDS, duration)))
        t += CHUNK_SECONDS
    return out


class WhisperEngine:
    """Transcribes and detects language with a Whisper ONNX package."""

    def __init__(self, package_dir: Path, providers: Sequence[ProviderSpec] = ("CPUExecutionProvider",),
                 intra_op_threads: int | None = None, io_binding: bool = True) -> None:
        self.package: ModelPackage = open_package(package_dir)
        pkg = self.package
        device = device_of(providers)
        # every file that shapes the output is read from the bytes the manifest check hashed
        cfg = json.loads(pkg.verified_bytes("config.json")) if pkg.has("config.json") else {}
        multilingual = pkg.multilingual if "multilingual" in pkg.manifest else cfg.get("vocab_size", 51865) >= 51865
        self.tokenizer = WhisperTokenizer(pkg.verified_bytes("tokenizer.json"), multilingual=multilingual)
        self.features = (FeatureExtractor.from_config(pkg.verified_bytes("preprocessor_config.json"))
                         if pkg.has("preprocessor_config.json") else FeatureExtractor(cfg.get("num_mel_bins", 80)))
        self.max_positions = int(cfg.get("max_target_positions", MAX_TARGET_POSITIONS))
        mk = lambda rel: create_session(pkg.verified_model(rel), providers, intra_op_threads)  # noqa: E731
        self.encoder = EncoderRunner(mk("encoder_model.onnx"), device, io_binding)
        if pkg.decoder_layout == "merged":
            self.decoder = DecoderRunner(mk("decoder_model_merged.onnx"), None, device, io_binding)
        else:
            self.decoder = DecoderRunner(mk("decoder_model.onnx"), mk("decoder_with_past_model.onnx"),
                                         device, io_binding)
        names = [o.name for o in self.decoder.first.get_outputs()]
        self.cross_attention_outputs = [n for n in names if n.startswith("cross_attentions.")]
        self.alignment_heads = [tuple(h) for h in pkg.alignment_heads]

    @property
    def model_info(self) -> dict[str, str]:
        return {"name": self.package.name, "sha256": self.package.sha256, "precision": self.package.precision}

    # -- encoding and language ------------------------------------------------------------------
    def _clips(self, audio: np.ndarray, windows: Sequence[tuple[float, float]]) -> list[np.ndarray]:
        return [audio[round(s * SAMPLE_RATE):round(e * SAMPLE_RATE)] for s, e in windows]

    def _encode(self, clips: list[np.ndarray]) -> Any:
        return self.encoder(self.features.batch(clips))

    def _language_probs(self, encoded: Any, n: int, candidates: Sequence[str] | None) -> list[dict[str, float]]:
        tok = self.tokenizer
        pool = candidates or [c for c in tok.languages if c not in NOT_DETECTED]
        codes = [c for c in pool if c in tok.languages] or list(tok.languages)
        ids = [tok.language_token(c) for c in codes]
        logits, _, _ = self.decoder.start(np.full((n, 1), tok.sot, dtype=np.int64), encoded)
        lp = log_softmax(logits[:, 0, ids])
        probs = np.exp(lp)
        return [{c: float(p) for c, p in zip(codes, row, strict=True)} for row in probs]

    @staticmethod
    def _aggregate(per_window: list[dict[str, float]]) -> tuple[str, float]:
        codes = list(per_window[0])
        mean = np.mean([[w[c] for c in codes] for w in per_window], axis=0)
        best = int(np.argmax(mean))
        return codes[best], float(mean[best])

    @staticmethod
    def _top(probs: dict[str, float], k: int = 5) -> dict[str, float]:
        return {c: round(p, 4) for c, p in sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))[:k]}

    def detect_language(self, audio: np.ndarray, windows: Sequence[tuple[float, float]] | None = None,
                        candidates: Sequence[str] | None = None, batch_size: int = 8) -> LanguageDetection:
        """Language from the first decoder step after ``<|startoftranscript|>``, averaged over
        ``windows`` (default: the first 30 s)."""
        if not self.tokenizer.multilingual:
            return LanguageDetection("en", 1.0, ())
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        wins = list(windows) if windows is not None else default_windows(audio.shape[0] / SAMPLE_RATE)[:1]
        wins = wins or [(0.0, 0.0)]
        per: list[dict[str, float]] = []
        for i in range(0, len(wins), batch_size):
            clips = self._clips(audio, wins[i:i + batch_size])
            per += self._language_probs(self._encode(clips), len(clips), candidates)
        lang, prob = self._aggregate(per)
        return LanguageDetection(lang, round(prob, 4), tuple(self._top(p) for p in per))

    # -- decoding ---------------------------------------------------------------------------------
    def _decode_config(self, prefix_len: int, options: TranscriptionOptions) -> DecodeConfig:
        tok = self.tokenizer
        budget = self.max_positions - prefix_len - 1
        return DecodeConfig(
            eot=tok.eot, timestamp_begin=tok.timestamp_begin, no_timestamps=tok.no_timestamps,
            suppress_tokens=tok.suppress_tokens, blank_tokens=tok.blank_tokens,
            suppress_blank=options.suppress_blank, max_new_tokens=max(1, min(options.max_new_tokens, budget)),
        )

    def _decode(self, encoded: Any, prefixes: np.ndarray, sot_index: int, options: TranscriptionOptions,
                temperature: float, seed: int) -> list[tuple[Hypothesis, float]]:
        cfg = self._decode_config(prefixes.shape[1], options)
        n = prefixes.shape[0]
        if temperature == 0 and options.beam_size > 1:
            k = options.beam_size
            enc = self.decoder.to_device(np.repeat(self.decoder.to_host(encoded), k, axis=0))
            hyps, first = beam_search(self.decoder, np.repeat(prefixes, k, axis=0), enc, cfg, k,
                                      options.patience, options.length_penalty)
        elif temperature == 0:
            hyps, first = greedy(self.decoder, prefixes, encoded, cfg)
        else:
            k = max(1, options.best_of)
            enc = self.decoder.to_device(np.repeat(self.decoder.to_host(encoded), k, axis=0))
            rng = np.random.default_rng([seed, round(temperature * 1000)])
            cands, first = greedy(self.decoder, np.repeat(prefixes, k, axis=0), enc, cfg, temperature, rng)
            hyps = [max(cands[i * k:(i + 1) * k], key=lambda h: h.sum_logprob / max(len(h.tokens), 1))
                    for i in range(n)]
            first = first[::k]
        ns = np.exp(log_softmax(first[:, sot_index, :]))[:, self.tokenizer.no_speech]
        return [(h, float(p)) for h, p in zip(hyps, ns, strict=True)]

    def _prefixes(self, languages: list[str], options: TranscriptionOptions,
                  previous: Sequence[int] = ()) -> tuple[np.ndarray, int]:
        """``<|startofprev|>`` + hotwords + (initial prompt + previous text)[-223:] + the SOT sequence."""
        tok = self.tokenizer
        prompt = tok.prompt(options.initial_prompt, options.hotwords, self.max_positions)
        if previous:
            limit = self.max_positions // 2 - 1
            prompt = [tok.sot_prev, *([*prompt[1:], *previous][-limit:])]
        rows = [prompt + tok.sot_sequence(lang, options.task) for lang in languages]
        return np.array(rows, dtype=np.int64), len(prompt)

    def _decode_with_fallback(self, encoded: Any, languages: list[str], options: TranscriptionOptions,
                              seed: int, previous: Sequence[int] = ()) -> list[Decoded]:
        prefixes, sot_index = self._prefixes(languages, options, previous)
        temps = list(options.temperatures) or [0.0]
        results: list[list[Decoded]] = [[] for _ in languages]
        pending = list(range(len(languages)))
        for t in temps:
            if not pending:
                break
            enc = encoded
            if len(pending) != len(languages):
                enc = self.decoder.to_device(self.decoder.to_host(encoded)[pending])
            out = self._decode(enc, prefixes[pending], sot_index, options, t, seed)
            still: list[int] = []
            for i, (hyp, ns) in zip(pending, out, strict=True):
                d = Decoded(hyp, ns, t, languages[i])
                results[i].append(d)
                text = self.tokenizer.decode(hyp.tokens)
                silent = d.silent(options, self.tokenizer.timestamp_begin)
                if len(temps) > 1 and not silent and d.failed(text, options):
                    still.append(i)
            pending = still
        chosen: list[Decoded] = []
        for tries in results:
            if len(tries) == 1 or not tries[-1].failed(self.tokenizer.decode(tries[-1].hyp.tokens), options):
                chosen.append(tries[-1])
                continue
            ok = [d for d in tries if compression_ratio(self.tokenizer.decode(d.hyp.tokens))
                  <= options.compression_ratio_threshold] or tries
            chosen.append(max(ok, key=lambda d: d.hyp.avg_logprob))
        return chosen

    # -- segments ---------------------------------------------------------------------------------
    def _segments(self, d: Decoded, start: float, end: float,
                  options: TranscriptionOptions) -> list[tuple[Segment, list[int], list[float]]]:
        """Segments of one window with their text tokens and token log-probs."""
        tok = self.tokenizer
        tb = tok.timestamp_begin
        tokens, lps = d.hyp.tokens, d.hyp.logprobs
        pieces: list[tuple[int, int, float, float]] = []  # token slice, relative start/end
        i, n = 0, len(tokens)
        while i < n:
            j = i + 1 if tokens[i] >= tb else i
            while j < n and tokens[j] < tb:
                j += 1
            t0 = (tokens[i] - tb) * TIME_PRECISION if tokens[i] >= tb else 0.0
            if j < n:  # closing timestamp
                pieces.append((i, j + 1, t0, (tokens[j] - tb) * TIME_PRECISION))
                i = j + 1
            else:
                pieces.append((i, n, t0, end - start))
                i = n
        out: list[tuple[Segment, list[int], list[float]]] = []
        for a, b, t0, t1 in pieces:
            text_ids = [t for t in tokens[a:b] if t < tok.eot]
            text_lps = [lp for t, lp in zip(tokens[a:b], lps[a:b], strict=True) if t < tok.eot]
            text = tok.decode(text_ids).strip()
            if not text:
                continue
            cr = compression_ratio(text)
            if cr > options.compression_ratio_threshold:
                continue
            s = min(max(start + t0, start), end)
            e = min(max(start + t1, s), end)
            if out and out[-1][0].text == text:  # collapse a repeated segment into its predecessor
                prev, ids, plps = out[-1]
                out[-1] = (replace(prev, end=round(e, 3)), ids, plps)
                continue
            seg_lps = lps[a:b]
            seg = Segment(round(s, 3), round(e, 3), text, d.language,
                          round(float(np.mean(seg_lps)), 4), round(d.no_speech_prob, 4), round(cr, 4),
                          d.temperature, None)
            out.append((seg, text_ids, text_lps))
        return out

    def _prompt_tokens(self, d: Decoded, pieces: list[tuple[Segment, list[int], list[float]]]) -> list[int]:
        """The window's output as the next window's prompt: text with its timestamp tokens (a prompt
        without timestamps leads Whisper to stop emitting them), nothing when no segment was kept."""
        if not pieces:
            return []
        return [t for t in d.hyp.tokens if t != self.tokenizer.eot]

    def _seek(self, d: Decoded, pieces: list[tuple[Segment, list[int], list[float]]], start: float,
              end: float) -> tuple[float, list[tuple[Segment, list[int], list[float]]], int]:
        """faster-whisper's seek through a span longer than a window: the segments that closed are kept and
        the next window starts at the last closing timestamp; text after it (a segment cut by the window's
        end) is dropped and read again from there. A hypothesis ending in a lone timestamp (no speech after
        it), with no closing timestamp at all or with one in its first second moves on by the whole window."""
        tb = self.tokenizer.timestamp_begin
        toks = [t for t in d.hyp.tokens if t != self.tokenizer.eot]
        single_end = len(toks) >= 2 and toks[-2] < tb <= toks[-1]
        pairs = [i for i in range(1, len(toks)) if toks[i] >= tb and toks[i - 1] >= tb]
        if single_end or not pairs:
            return end, pieces, len(toks)
        last = start + (toks[pairs[-1] - 1] - tb) * TIME_PRECISION
        if last - start < MIN_CONTINUATION_S:  # no real progress: read on from the window's end
            return end, pieces, len(toks)
        return last, [p for p in pieces if p[0].end <= last + 1e-6], pairs[-1]

    @staticmethod
    def _unfinished_from(pieces: list[tuple[Segment, list[int], list[float]]], window_end: float) -> float | None:
        """Where to decode again when Whisper closed the text early.

        Whisper sometimes ends a window with ``<|endoftext|>`` while speech goes on (a sentence after a
        short pause is dropped). The VAD window says there is speech up to ``window_end``, so the rest
        of the window is decoded again from the last closing timestamp, as openai-whisper's seek loop
        does, with a bounded number of passes.
        """
        if not pieces:
            return None
        last_end = max(p[0].end for p in pieces)
        return last_end if window_end - last_end >= MIN_CONTINUATION_S else None

    def transcribe(self, audio: np.ndarray, windows: Sequence[tuple[float, float]] | None = None,
                   options: TranscriptionOptions | None = None) -> TranscriptionResult:
        """Transcribe (or translate) ``audio`` (16 kHz mono float32) over ``windows``."""
        options = options or TranscriptionOptions()
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = audio.shape[0] / SAMPLE_RATE
        wins = [(max(0.0, float(s)), min(float(e), duration))
                for s, e in (windows if windows is not None else default_windows(duration))]
        wins = [(s, e) for s, e in wins if e - s > 1e-6]  # a window longer than 30 s is sought through
        tok = self.tokenizer
        fixed = options.language if tok.multilingual else "en"
        if fixed is not None and tok.multilingual:
            tok.language_token(fixed)  # validates the code
        if options.task == "translate" and not tok.multilingual:
            raise ValueError("English-only models cannot translate")
        segments: list[Segment] = []
        per_window: list[dict[str, float]] = []
        bs = max(1, options.batch_size)
        queue: list[tuple[float, float, int]] = [(s, e, 0) for s, e in wins]
        skipped: list[tuple[float, float, str]] = []
        context = bs == 1  # window by window: each one is prompted with the text before it
        previous: list[int] = []
        b = 0
        while b < len(queue):
            batch = queue[b:b + bs]
            ends = [we for _, we, _ in batch]  # a span longer than 30 s is read 30 s at a time (seek)
            batch = [(ws, min(we, ws + CHUNK_SECONDS), passes) for ws, we, passes in batch]
            clips = self._clips(audio, [(ws, we) for ws, we, _ in batch])
            encoded = self._encode(clips)
            if fixed is None:
                probs = self._language_probs(encoded, len(clips), options.language_candidates)
                if all(p == 0 for _, _, p in batch):
                    per_window += probs
                langs = [max(p.items(), key=lambda kv: (kv[1], kv[0]))[0] for p in probs]
            else:
                langs = [fixed] * len(clips)
            decoded = self._decode_with_fallback(encoded, langs, options, seed=b, previous=previous)
            follow: list[tuple[float, float, int]] = []
            for k, ((ws, we, passes), d) in enumerate(zip(batch, decoded, strict=True)):
                if d.silent(options, tok.timestamp_begin):
                    if ends[k] > we + 1e-6:
                        follow.append((we, ends[k], 0))
                    continue
                pieces = self._segments(d, ws, we, options)
                if not pieces and any(t < tok.eot for t in d.hyp.tokens):
                    skipped.append((round(ws, 3), round(we, 3), REPETITION))
                seek_to, kept = None, len(d.hyp.tokens)
                if ends[k] > we + 1e-6:  # more of the span follows: drop the unfinished segment, seek
                    seek_to, pieces, kept = self._seek(d, pieces, ws, we)
                if options.word_timestamps and pieces:
                    segments += alignment.add_word_timestamps(self, encoded, k, d, pieces, ws, we, options.task)
                else:
                    segments += [p[0] for p in pieces]
                if context:
                    previous = [] if d.temperature > PROMPT_RESET_TEMPERATURE else previous
                    previous += self._prompt_tokens(d, pieces)[:kept]
                if seek_to is not None:
                    follow.append((seek_to, ends[k], 0))
                    continue
                rest = self._unfinished_from(pieces, we)
                if rest is not None and passes < MAX_CONTINUATIONS:
                    follow.append((rest, we, passes + 1))
            queue[b + len(batch):b + len(batch)] = follow  # a window's unread tail is decoded next
            b += len(batch)
        segments.sort(key=lambda seg: (seg.start, seg.end))
        if fixed is not None:
            language, prob = fixed, 1.0
        elif per_window:
            language, prob = self._aggregate(per_window)
        else:
            language, prob = "en", 0.0
        return TranscriptionResult(language, round(prob, 4), tuple(segments), tuple(sorted(skipped)))
