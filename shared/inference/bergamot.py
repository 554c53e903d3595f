"""Firefox Translations (Bergamot) models over ONNX Runtime: numpy + onnxruntime + tokenizers only.

A package (architecture ``bergamot``, decoder layout ``ssru-step``) holds ``encoder_model.onnx``
(source → cross-attention keys/values of every decoder layer), ``decoder_step_model.onnx`` (one
token; the SSRU states go in and come out, nothing grows), ``source_tokenizer.json`` /
``target_tokenizer.json`` and optionally ``decoder_step_shortlist_model.onnx`` + ``shortlist.npz``.

Invariants: input is split into sentences (each translated on its own, joined with one space);
a sentence's output is limited to ``max_length_factor`` × its token count (Marian's
max-length-factor, 2.5); greedy decoding (the models' own setting, beam-size 1) is the default,
and a given text, package and batch size always give the same output.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from shared.inference.decoding import DecodeConfig, beam_search
from shared.inference.package import ModelPackage, open_package
from shared.inference.sessions import ProviderSpec, create_session, input_dtype

ARCHITECTURE = "bergamot"
# Sentence ends: . ! ? … followed by space and a capital, digit, quote or opening bracket; a short list
# of abbreviations (pt, en) never ends a sentence.
_BOUNDARY = re.compile(r"(?<=[.!?…])([\"'”»)]*)\s+(?=[\"'“«(¿¡]?[A-ZÀ-ÖØ-Þ0-9])")
_ABBREVIATIONS = frozenset((
    "sr", "sra", "srta", "dr", "dra", "drs", "prof", "profa", "eng", "av", "nº", "art", "pág", "pp", "cap", "vol",
    "exa", "exmo", "exma", "vs", "mr", "mrs", "ms", "st", "jr", "sgt", "insp", "pc", "ds", "dc", "cf", "approx",
    "tel", "ltda", "cia", "inc", "ltd"))


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (whitespace-normalised); abbreviations and initials do not split."""
    text = " ".join(text.split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        head = text[start:m.end(1)]
        word = re.split(r"[\s(\"'“«]", head)[-1].rstrip(".!?…\"'”»)").lower()
        if head.rstrip("\"'”»)").endswith(".") and (word in _ABBREVIATIONS or len(word) == 1):
            continue
        out.append(head.strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


@dataclass
class _Cache:
    """Decoder state of the rows in flight; ``allowed`` [rows, V'] marks each row's own shortlist."""

    states: list[Any]
    cross: dict[str, Any]
    mask: np.ndarray
    step: int
    allowed: np.ndarray | None = None

    def rows(self, index: np.ndarray, cross: bool = True) -> _Cache:
        """The rows picked by ``index`` (cross keys/values only when ``cross``)."""
        return _Cache([s[index] for s in self.states], {k: v[index] for k, v in self.cross.items()} if cross
                      else self.cross, self.mask[index] if cross else self.mask, self.step,
                      None if self.allowed is None else self.allowed[index])


class BergamotEngine:
    """Translates sentences with a Bergamot package (one fixed language pair)."""

    def __init__(self, package_dir: Path, providers: Sequence[ProviderSpec] = ("CPUExecutionProvider",),
                 intra_op_threads: int | None = None, batch_size: int = 32,
                 use_shortlist: bool | None = None) -> None:
        self.package: ModelPackage = open_package(package_dir)
        pkg = self.package
        if pkg.architecture != ARCHITECTURE:
            raise ValueError(f"package {pkg.name} is {pkg.architecture!r}, not {ARCHITECTURE!r}")
        meta = pkg.manifest["bergamot"]
        self.eos = int(meta["eos_id"])
        self.unk = int(meta["unk_id"])
        self.layers = int(meta["decoder_layers"])
        self.d_model = int(meta["d_model"])
        self.max_length_factor = float(meta["max_length_factor"])
        self.max_input_tokens = int(meta["max_input_tokens"])
        self.default_beam_size = int(meta.get("beam_size", 1))
        self.shared_vocab = bool(meta.get("shared_vocab", True))
        self.batch_size = batch_size
        # tokenizers, graphs and the shortlist are used from the bytes the manifest check hashed
        self.source_tokenizer = Tokenizer.from_str(pkg.verified_bytes("source_tokenizer.json").decode("utf-8"))
        self.target_tokenizer = Tokenizer.from_str(pkg.verified_bytes("target_tokenizer.json").decode("utf-8"))
        mk = lambda rel: create_session(pkg.verified_model(rel), providers, intra_op_threads)  # noqa: E731
        self.encoder = mk("encoder_model.onnx")
        self.decoder = mk("decoder_step_model.onnx")
        self.state_dtype = input_dtype(self.decoder, "state.0")
        want = bool(meta.get("shortlist", {}).get("enabled", False)) if use_shortlist is None else use_shortlist
        self.shortlist: tuple[int, np.ndarray, np.ndarray] | None = None
        if want and pkg.has("decoder_step_shortlist_model.onnx"):
            with np.load(io.BytesIO(pkg.verified_bytes("shortlist.npz")), allow_pickle=False) as z:
                self.shortlist = (int(z["first"]), z["offsets"], z["targets"])
            self.decoder_shortlist = mk("decoder_step_shortlist_model.onnx")

    @property
    def model_info(self) -> dict[str, str]:
        return {"name": self.package.name, "sha256": self.package.sha256, "precision": self.package.precision}

    @property
    def languages(self) -> list[str]:
        return self.package.languages

    def supports(self, source: str, target: str) -> bool:
        return pair_supported(self.package.languages, source, target)

    # -- text -------------------------------------------------------------------------------------
    def encode(self, sentence: str) -> list[int]:
        """Source ids of one sentence ending with ``</s>`` (see :meth:`rows` for the input limit)."""
        return [*self.source_tokenizer.encode(sentence, add_special_tokens=False).ids, self.eos]

    def rows(self, sentence: str) -> list[list[int]]:
        """Source rows of one sentence: a sentence longer than the input limit is cut into consecutive
        pieces, each translated on its own, so that no part of the input is dropped."""
        ids = self.encode(sentence)[:-1]
        size = self.max_input_tokens - 1
        return [[*ids[k:k + size], self.eos] for k in range(0, max(1, len(ids)), size)]

    def decode(self, tokens: Sequence[int]) -> str:
        return str(self.target_tokenizer.decode(list(tokens), skip_special_tokens=False)).strip()

    def translate(self, texts: Sequence[str], source_language: str, target_language: str = "en",
                  beam_size: int | None = None, max_length: int | None = None) -> list[str]:
        """Translations of ``texts`` in order; an empty text gives an empty translation."""
        if not self.supports(source_language, target_language):
            langs = "→".join(self.package.languages)
            raise ValueError(f"{self.package.name} translates {langs}, not {source_language}→{target_language}")
        rows: list[tuple[int, list[int]]] = []
        for i, text in enumerate(texts):
            rows += [(i, r) for s in split_sentences(text) for r in self.rows(s)]
        tokens = self.translate_ids([r for _, r in rows], beam_size, max_length)
        parts: list[list[str]] = [[] for _ in texts]
        for (i, _), toks in zip(rows, tokens, strict=True):
            parts[i].append(self.decode(toks))
        return [" ".join(p for p in ps if p) for ps in parts]

    # -- ids --------------------------------------------------------------------------------------
    def translate_ids(self, rows: Sequence[list[int]], beam_size: int | None = None,
                      max_length: int | None = None) -> list[list[int]]:
        """Output ids (``</s>`` excluded) per source row, rows batched by length."""
        k = max(1, beam_size or self.default_beam_size)
        order = sorted(range(len(rows)), key=lambda r: (len(rows[r]), r))
        out: list[list[int]] = [[] for _ in rows]
        step = max(1, self.batch_size // k)
        for b in range(0, len(order), step):
            idx = order[b:b + step]
            batch = [rows[r] for r in idx]
            limits = [self._limit(len(r), max_length) for r in batch]
            result = self._greedy(batch, limits) if k == 1 else self._beam(batch, limits, k)
            for r, toks in zip(idx, result, strict=True):
                out[r] = toks
        return out

    def _limit(self, n_source: int, max_length: int | None) -> int:
        limit = int(self.max_length_factor * n_source)
        return max(1, min(limit, max_length) if max_length else limit)

    def _encode(self, batch: list[list[int]]) -> _Cache:
        width = max(len(r) for r in batch)
        ids = np.full((len(batch), width), self.eos, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for i, r in enumerate(batch):
            ids[i, :len(r)] = r
            mask[i, :len(r)] = 1
        names = [o.name for o in self.encoder.get_outputs()]
        cross = dict(zip(names, self.encoder.run(names, {"input_ids": ids, "attention_mask": mask}), strict=True))
        states = [np.zeros((len(batch), self.d_model), dtype=self.state_dtype) for _ in range(self.layers)]
        return _Cache(states, cross, mask, 0)

    def _shortlist(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray] | None:
        """The union of the rows' shortlists (ids the decoder scores) and each row's own mask over it.

        A row may use the ``first`` most frequent words, ``</s>``, ``<unk>``, its source tokens (the
        vocabulary is shared) and the lexical translations of its source tokens: its output never
        depends on the other sentences in the batch."""
        if self.shortlist is None:
            return None
        first, offsets, targets = self.shortlist
        base = np.concatenate([np.arange(first, dtype=np.int64), np.array([self.eos, self.unk], dtype=np.int64)])
        per_row = []
        for row in batch:
            parts = [base]
            for tok in set(row):
                if 0 <= tok < len(offsets) - 1:
                    parts.append(targets[offsets[tok]:offsets[tok + 1]].astype(np.int64))
            if self.shared_vocab:
                parts.append(np.asarray(row, dtype=np.int64))
            per_row.append(np.unique(np.concatenate(parts)))
        vocab = np.unique(np.concatenate(per_row))
        allowed = np.stack([np.isin(vocab, ids) for ids in per_row])
        return vocab, allowed

    def _step(self, tokens: np.ndarray, cache: _Cache, vocab: np.ndarray | None) -> tuple[np.ndarray, _Cache]:
        """Logits of the next token ([rows, V] or, with a shortlist, [rows, V'] with -inf outside a row's own)."""
        feeds: dict[str, Any] = {"input_ids": tokens.astype(np.int64), "step": np.array([cache.step], np.int64),
                                 "attention_mask": cache.mask, **cache.cross}
        feeds.update({f"state.{i}": s for i, s in enumerate(cache.states)})
        session = self.decoder
        if vocab is not None:
            session = self.decoder_shortlist
            feeds["vocab"] = vocab
        outs = session.run(None, feeds)
        logits = outs[0]
        if cache.allowed is not None:
            logits = np.where(cache.allowed, logits, np.float32(-np.inf))
        return logits, _Cache(list(outs[1:1 + self.layers]), cache.cross, cache.mask, cache.step + 1, cache.allowed)

    def _full(self, logits: np.ndarray, vocab: np.ndarray | None) -> np.ndarray:
        if vocab is None:
            return logits
        full = np.full((logits.shape[0], self.vocab_size), -np.inf, dtype=np.float32)
        full[:, vocab] = logits
        return full

    @property
    def vocab_size(self) -> int:
        return int(self.package.manifest["bergamot"]["vocab_size"])

    def _greedy(self, batch: list[list[int]], limits: list[int]) -> list[list[int]]:
        cache = self._encode(batch)
        short = self._shortlist(batch)
        vocab = None
        if short is not None:
            vocab, cache.allowed = short
        out: list[list[int]] = [[] for _ in batch]
        alive = np.arange(len(batch))
        tokens = np.full(len(batch), -1, dtype=np.int64)
        while len(alive):
            logits, cache = self._step(tokens, cache, vocab)
            nxt = np.argmax(logits, axis=-1)
            if vocab is not None:
                nxt = vocab[nxt]
            keep = []
            for j, row in enumerate(alive):
                tok = int(nxt[j])
                if tok == self.eos:
                    continue
                out[row].append(tok)
                if len(out[row]) < limits[row]:
                    keep.append(j)
            if len(keep) < len(alive):  # drop finished rows from every tensor
                sel = np.array(keep, dtype=np.int64)
                cache, alive, nxt = cache.rows(sel), alive[sel], nxt[sel]
            tokens = nxt.astype(np.int64)
        return out

    def _beam(self, batch: list[list[int]], limits: list[int], k: int) -> list[list[int]]:
        cache = self._encode(batch)
        short = self._shortlist(batch)
        vocab = None
        if short is not None:
            vocab, cache.allowed = short
        cache = cache.rows(np.repeat(np.arange(len(batch)), k))
        runner = _BeamRunner(self, vocab)
        cfg = DecodeConfig(eot=self.eos, timestamp_begin=None, suppress_blank=False, max_new_tokens=max(limits))
        hyps, _ = beam_search(runner, np.full((len(batch) * k, 1), -1, np.int64), cache, cfg, k)  # type: ignore[arg-type]
        return [h.tokens[:limit] for h, limit in zip(hyps, limits, strict=True)]


class _BeamRunner:
    """The decoder-runner interface ``decoding.beam_search`` drives, over the SSRU step graph."""

    def __init__(self, engine: BergamotEngine, vocab: np.ndarray | None) -> None:
        self.engine, self.vocab = engine, vocab

    def start(self, prefix: np.ndarray, cache: _Cache, extra: Any = None) -> tuple[np.ndarray, _Cache, dict[str, Any]]:
        logits, cache = self.engine._step(prefix[:, 0], cache, self.vocab)
        return self.engine._full(logits, self.vocab)[:, None, :], cache, {}

    def step(self, tokens: np.ndarray, cache: _Cache, extra: Any = None) -> tuple[np.ndarray, _Cache]:
        logits, cache = self.engine._step(tokens[:, 0], cache, self.vocab)
        return self.engine._full(logits, self.vocab), cache

    def reorder(self, cache: _Cache, index: np.ndarray, cross: bool = False) -> _Cache:
        # beams only move within their own source sentence, whose cross keys/values and shortlist they share
        return cache.rows(index, cross=False)


def pair_supported(languages: Sequence[str], source: str, target: str) -> bool:
    """Whether a package for ``languages`` ([source, target]) translates ``source`` → ``target``."""
    return len(languages) == 2 and _base(source) == languages[0] and _base(target) == languages[1]


def _base(code: str) -> str:
    """``pt-BR`` / ``pt_PT`` / ``PT`` → ``pt``."""
    return re.split(r"[-_]", code.strip())[0].lower()
