"""Text translation over an ONNX seq2seq package: NLLB, M2M100 or Marian (numpy + onnxruntime + tokenizers).

Firefox Translations (Bergamot) packages have their own engine (``shared.inference.bergamot``);
:func:`load_translation_engine` opens either kind from a package directory.

* NLLB: source ``[src_code] + tokens + </s>``; decoding starts from ``</s>`` and the first token is
  forced to the target code (``fra_Latn``…). ISO 639-1 codes are mapped with ``NLLB_CODES``.
* M2M100: the same with ``__fr__`` style language tokens.
* Marian: a fixed pair (manifest ``languages`` = [source, target]); source ``tokens + </s>``,
  decoding starts from ``<pad>``. Without ``tokenizer.json`` the tokenizer is built from
  ``source.spm`` + ``vocab.json`` (``shared.inference.spm``).

Inputs are split on sentence boundaries when longer than the model's input limit (a sentence that
is still too long is cut into token pieces), chunks are sorted by length and batched, decoded with
beam search, and reassembled in input order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Tokenizer

from shared.inference.decoding import DecodeConfig, beam_search, greedy
from shared.inference.package import ModelPackage, open_package
from shared.inference.sessions import DecoderRunner, EncoderRunner, ProviderSpec, create_session, device_of
from shared.inference.spm import marian_tokenizer

if TYPE_CHECKING:
    from shared.inference.bergamot import BergamotEngine

NLLB_CODES = {
    "af": "afr_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "az": "azj_Latn", "be": "bel_Cyrl", "bg": "bul_Cyrl",
    "bn": "ben_Beng", "bs": "bos_Latn", "ca": "cat_Latn", "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn",
    "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn",
    "fa": "pes_Arab", "fi": "fin_Latn", "fr": "fra_Latn", "ga": "gle_Latn", "gl": "glg_Latn", "gu": "guj_Gujr",
    "ha": "hau_Latn", "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn", "hu": "hun_Latn", "hy": "hye_Armn",
    "id": "ind_Latn", "ig": "ibo_Latn", "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "ka": "kat_Geor",
    "kk": "kaz_Cyrl", "km": "khm_Khmr", "kn": "kan_Knda", "ko": "kor_Hang", "ku": "kmr_Latn", "lo": "lao_Laoo",
    "lt": "lit_Latn", "lv": "lvs_Latn", "mk": "mkd_Cyrl", "ml": "mal_Mlym", "mn": "khk_Cyrl", "mr": "mar_Deva",
    "ms": "zsm_Latn", "mt": "mlt_Latn", "my": "mya_Mymr", "ne": "npi_Deva", "nl": "nld_Latn", "no": "nob_Latn",
    "pa": "pan_Guru", "pl": "pol_Latn", "ps": "pbt_Arab", "pt": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl",
    "sd": "snd_Arab", "si": "sin_Sinh", "sk": "slk_Latn", "sl": "slv_Latn", "so": "som_Latn", "sq": "als_Latn",
    "sr": "srp_Cyrl", "sv": "swe_Latn", "sw": "swh_Latn", "ta": "tam_Taml", "te": "tel_Telu", "th": "tha_Thai",
    "ti": "tir_Ethi", "tl": "tgl_Latn", "tr": "tur_Latn", "uk": "ukr_Cyrl", "ur": "urd_Arab", "uz": "uzn_Latn",
    "vi": "vie_Latn", "xh": "xho_Latn", "yo": "yor_Latn", "zh": "zho_Hans", "zu": "zul_Latn",
}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟।])\s+")


def load_translation_engine(package_dir: Path, providers: Sequence[ProviderSpec] = ("CPUExecutionProvider",),
                            intra_op_threads: int | None = None) -> TranslationEngine | BergamotEngine:
    """The engine for a verified translation package: Bergamot, or NLLB / M2M100 / Marian."""
    if open_package(package_dir).architecture == "bergamot":
        from shared.inference.bergamot import BergamotEngine

        return BergamotEngine(package_dir, providers=providers, intra_op_threads=intra_op_threads)
    return TranslationEngine(package_dir, providers=providers, intra_op_threads=intra_op_threads)


class TranslationEngine:
    """Translates batches of sentences with an NLLB, M2M100 or Marian package."""

    def __init__(self, package_dir: Path, providers: Sequence[ProviderSpec] = ("CPUExecutionProvider",),
                 intra_op_threads: int | None = None, batch_size: int = 16) -> None:
        self.package: ModelPackage = open_package(package_dir)
        pkg = self.package
        self.architecture = pkg.architecture
        device = device_of(providers)
        cfg = json.loads(pkg.verified_bytes("config.json"))  # read from the bytes that were hashed
        self.pad = int(cfg.get("pad_token_id", 1))
        self.eos = int(cfg.get("eos_token_id", 2))
        self.decoder_start = int(cfg.get("decoder_start_token_id", self.eos))
        self.max_positions = int(cfg.get("max_position_embeddings", 1024))
        if pkg.has("tokenizer.json"):
            self.tokenizer = Tokenizer.from_str(pkg.verified_bytes("tokenizer.json").decode("utf-8"))
        elif pkg.has("source.spm") and pkg.has("vocab.json"):
            self.tokenizer = marian_tokenizer(pkg.verified_bytes("source.spm"), pkg.verified_bytes("vocab.json"))
        else:
            raise ValueError(f"package {pkg.name} has neither tokenizer.json nor source.spm + vocab.json")
        self.batch_size = batch_size
        mk = lambda rel: create_session(pkg.verified_model(rel), providers, intra_op_threads)  # noqa: E731
        self.encoder = EncoderRunner(mk("encoder_model.onnx"), device)
        if pkg.decoder_layout == "merged":
            self.decoder = DecoderRunner(mk("decoder_model_merged.onnx"), None, device)
        else:
            self.decoder = DecoderRunner(mk("decoder_model.onnx"), mk("decoder_with_past_model.onnx"), device)

    @property
    def model_info(self) -> dict[str, str]:
        return {"name": self.package.name, "sha256": self.package.sha256, "precision": self.package.precision}

    @property
    def languages(self) -> list[str]:
        return self.package.languages

    # -- language codes ---------------------------------------------------------------------------
    def language_token(self, code: str) -> int:
        """Token id of a language for NLLB (``fra_Latn`` or ``fr``) and M2M100 (``__fr__`` or ``fr``)."""
        if self.architecture == "nllb":
            name = code if "_" in code else NLLB_CODES.get(code, "")
        else:
            name = code if code.startswith("__") else f"__{code}__"
        tid = self.tokenizer.token_to_id(name) if name else None
        if tid is None:
            raise ValueError(f"{self.package.name} does not know language {code!r}")
        return int(tid)

    def supports(self, source: str, target: str) -> bool:
        """Whether this model translates ``source`` into ``target``."""
        try:
            self._check_pair(source, target)
        except ValueError:
            return False
        return True

    def _check_pair(self, source: str, target: str) -> None:
        if self.architecture == "marian":
            langs = self.package.languages
            if len(langs) >= 2 and (source != langs[0] or target != langs[1]):
                raise ValueError(f"{self.package.name} translates {langs[0]}→{langs[1]}, not {source}→{target}")
        else:
            self.language_token(source)
            self.language_token(target)

    # -- text handling ----------------------------------------------------------------------------
    @property
    def max_input_tokens(self) -> int:
        return self.max_positions - 2  # language code and </s>

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def split(self, text: str, limit: int | None = None) -> list[list[int]]:
        """Token chunks of ``text``: whole sentences packed up to ``limit`` tokens, overlong ones cut."""
        limit = limit or self.max_input_tokens
        ids = self._ids(text)
        if len(ids) <= limit:
            return [ids]
        chunks: list[list[int]] = []
        cur: list[int] = []
        for sentence in _SENTENCE_END.split(text.strip()):
            s = self._ids(sentence)
            for k in range(0, len(s), limit):
                piece = s[k:k + limit]
                if cur and len(cur) + len(piece) > limit:
                    chunks.append(cur)
                    cur = []
                cur = cur + piece
        if cur:
            chunks.append(cur)
        return chunks

    def _source_row(self, ids: list[int], source: str) -> list[int]:
        if self.architecture == "marian":
            return [*ids, self.eos]
        return [self.language_token(source), *ids, self.eos]

    def _decode_text(self, tokens: list[int]) -> str:
        return str(self.tokenizer.decode(tokens, skip_special_tokens=True)).strip()

    # -- translation ------------------------------------------------------------------------------
    def translate(self, texts: Sequence[str], source_language: str, target_language: str = "en",
                  beam_size: int = 4, max_length: int = 256) -> list[str]:
        """Translations of ``texts`` in order (empty input → empty output)."""
        self._check_pair(source_language, target_language)
        forced = None if self.architecture == "marian" else self.language_token(target_language)
        chunks: list[tuple[int, int, list[int]]] = []  # (text index, chunk index, source row)
        for i, text in enumerate(texts):
            if not text.strip():
                continue
            limit = min(self.max_input_tokens, max_length)
            for j, ids in enumerate(self.split(text, limit)):
                chunks.append((i, j, self._source_row(ids, source_language)))
        order = sorted(range(len(chunks)), key=lambda c: (len(chunks[c][2]), c))
        out: dict[int, str] = {}
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            rows = [chunks[c][2] for c in idx]
            for c, text in zip(idx, self._translate_rows(rows, forced, beam_size, max_length), strict=True):
                out[c] = text
        results = ["" for _ in texts]
        for c, (i, _, _) in enumerate(chunks):
            results[i] = (results[i] + " " + out[c]).strip()
        return results

    def _translate_rows(self, rows: list[list[int]], forced: int | None, beam_size: int,
                        max_length: int) -> list[str]:
        n, width = len(rows), max(len(r) for r in rows)
        ids = np.full((n, width), self.pad, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
            mask[i, :len(r)] = 1
        encoded = self.encoder(ids, {"attention_mask": mask})
        budget = min(max_length, self.max_positions - 1)
        cfg = DecodeConfig(eot=self.eos, timestamp_begin=None, suppress_tokens=(self.pad,), suppress_blank=False,
                           max_new_tokens=budget, forced_first=forced)
        k = max(1, beam_size)
        if k > 1:
            enc = self.decoder.to_device(np.repeat(self.decoder.to_host(encoded), k, axis=0))
            prefix = np.full((n * k, 1), self.decoder_start, dtype=np.int64)
            hyps, _ = beam_search(self.decoder, prefix, enc, cfg, k,
                                  extra={"encoder_attention_mask": np.repeat(mask, k, axis=0)})
        else:
            prefix = np.full((n, 1), self.decoder_start, dtype=np.int64)
            hyps, _ = greedy(self.decoder, prefix, encoded, cfg, extra={"encoder_attention_mask": mask})
        return [self._decode_text(h.tokens) for h in hyps]
