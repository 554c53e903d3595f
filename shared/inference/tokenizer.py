"""Whisper tokenizer over the ``tokenizers`` library (``tokenizer.json``; no transformers).

Timestamp tokens are not in ``tokenizer.json``: they follow ``<|notimestamps|>`` (``<|0.00|>`` is
``notimestamps + 1``) in steps of 0.02 s. English-only models (``multilingual=False``) use no
language or task tokens in the start sequence.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from tokenizers import Tokenizer

TIME_PRECISION = 0.02
_LANG_RE = re.compile(r"^<\|([a-z]{2,3})\|>$")


class WhisperTokenizer:
    """Special tokens, language codes, prompt encoding and timestamp-aware decoding."""

    def __init__(self, source: Path | bytes, multilingual: bool = True) -> None:
        """``source``: a ``tokenizer.json`` path, or its (verified) bytes."""
        self._tok = (Tokenizer.from_str(source.decode("utf-8")) if isinstance(source, bytes)
                     else Tokenizer.from_file(str(source)))
        self.multilingual = multilingual
        self.eot = self._id("<|endoftext|>")
        self.sot = self._id("<|startoftranscript|>")
        self.translate = self._id("<|translate|>")
        self.transcribe = self._id("<|transcribe|>")
        self.sot_lm = self._id("<|startoflm|>")
        self.sot_prev = self._id("<|startofprev|>")
        nospeech = self._tok.token_to_id("<|nospeech|>")
        self.no_speech = nospeech if nospeech is not None else self._id("<|nocaptions|>")
        self.no_timestamps = self._id("<|notimestamps|>")
        self.timestamp_begin = self.no_timestamps + 1
        # Language tokens sit between <|startoftranscript|> and <|translate|>, in Whisper's order.
        self._lang_ids: dict[str, int] = {}
        for i in range(self.sot + 1, self.translate):
            m = _LANG_RE.match(self._tok.id_to_token(i) or "")
            if m:
                self._lang_ids[m.group(1)] = i

    def _id(self, token: str) -> int:
        i = self._tok.token_to_id(token)
        if i is None:
            raise ValueError(f"tokenizer lacks {token}")
        return int(i)

    @property
    def languages(self) -> tuple[str, ...]:
        """Language codes the model knows (empty for English-only models)."""
        return tuple(self._lang_ids) if self.multilingual else ()

    def language_token(self, code: str) -> int:
        try:
            return self._lang_ids[code]
        except KeyError:
            raise ValueError(f"unknown language code {code!r}") from None

    def language_of(self, token: int) -> str:
        return self._tok.id_to_token(token)[2:-2]

    def sot_sequence(self, language: str | None, task: str = "transcribe") -> list[int]:
        """``<|startoftranscript|>`` [+ language + task] for multilingual models."""
        if not self.multilingual:
            return [self.sot]
        if task not in ("transcribe", "translate"):
            raise ValueError(f"unknown task {task!r}")
        return [self.sot, self.language_token(language or "en"),
                self.transcribe if task == "transcribe" else self.translate]

    def encode(self, text: str) -> list[int]:
        """Plain text tokens (no special tokens added)."""
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def prompt(self, initial_prompt: str | None, hotwords: str | None, max_length: int = 448) -> list[int]:
        """``<|startofprev|>`` + hotwords + initial prompt tokens (faster-whisper ordering), or []."""
        limit = max_length // 2 - 1
        tokens: list[int] = []
        if hotwords and hotwords.strip():
            tokens += self.encode(" " + hotwords.strip())[:limit]
        if initial_prompt and initial_prompt.strip():
            tokens += self.encode(" " + initial_prompt.strip())
        if not tokens:
            return []
        return [self.sot_prev, *tokens[-limit:]]

    def decode(self, tokens: list[int]) -> str:
        """Text of the text tokens (specials and timestamps dropped)."""
        return str(self._tok.decode([t for t in tokens if t < self.eot], skip_special_tokens=False))

    def decode_with_timestamps(self, tokens: list[int]) -> str:
        """Text with timestamp tokens rendered as ``<|1.23|>``."""
        out: list[str] = []
        run: list[int] = []
        for t in tokens:
            if t >= self.timestamp_begin:
                out.append(self.decode(run))
                run = []
                out.append(f"<|{(t - self.timestamp_begin) * TIME_PRECISION:.2f}|>")
            else:
                run.append(t)
        out.append(self.decode(run))
        return "".join(out)

    def token_text(self, token: int) -> str:
        """Decoded text of a single text token (may be a partial UTF-8 character)."""
        return str(self._tok.decode([token], skip_special_tokens=False))

    @cached_property
    def non_speech_tokens(self) -> tuple[int, ...]:
        """Tokens for symbols that are not speech (openai-whisper's ``suppress_tokens='-1'`` set)."""
        symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
        symbols += ["<<", ">>", "<<<", ">>>", "--", "---", "-(", "-[", "('", '("', "((", "))", "(((",
                    ")))", "[[", "]]", "{{", "}}", "♪♪", "♪♪♪"]
        misc = set("♩♪♫♬♭♮♯")
        found = {self.encode(" -")[0], self.encode(" '")[0]}
        for sym in symbols + sorted(misc):
            for ids in (self.encode(sym), self.encode(" " + sym)):
                if len(ids) == 1 or (sym in misc and ids):
                    found.add(ids[0])
        return tuple(sorted(found))

    @cached_property
    def suppress_tokens(self) -> tuple[int, ...]:
        """Tokens never sampled: non-speech symbols plus task/control specials."""
        specials = {self.transcribe, self.translate, self.sot, self.sot_prev, self.sot_lm, self.no_speech}
        return tuple(sorted(set(self.non_speech_tokens) | specials))

    @cached_property
    def blank_tokens(self) -> tuple[int, ...]:
        """Suppressed at the first sampled position: a lone space and end-of-text."""
        return (*self.encode(" "), self.eot)
