"""Invented and withheld translated passages, before and after the translation guards.

    TOEX_CACHE=... python -m bench.translation_guard [--languages fr,de] [--out results.jsonl] [--no-text-model]
    TOEX_CACHE=... python -m bench.translation_guard --rejudge results.jsonl

Clips: the sentences of ``bench/data/translation_clips.json`` (six languages, two espeak-ng voices
each), spoken one after another with 0.7 s of silence, made here by espeak-ng (nothing generated is
committed). Model: the real Whisper base int8 (``models.fetch.ensure_default_model``), beam 5, the
pipeline's defaults, language detected as in the pipeline.

Ways of translating each clip into English, judged alike (``MODES``):

* ``old``: what the pipeline did before: Whisper's translate task on the whole speech window, no
  checks; every segment shown.
* ``windows``: the transcript's segments translated window by window and aligned back onto them
  (``shared.translation_routes.whisper_outcomes``), every passage shown.
* ``guarded``: the same passages, shown only when ``shared.translation_guard.check`` lets them through
  (the route before the second opinions).
* ``verified``: the same passages, shown only when they also pass ``shared.translation_verify``: the
  cross-checks against the source transcript (negation, numbers) and the second, sampled decode of
  the window, which must agree (``whisper_outcomes`` runs it; the row keeps its text in ``second``).
* ``text``: the text model (``toex setup``'s Bergamot packages, as the local pipeline loads them) on
  the transcript's own segments, segment by segment, for the languages it has (pt), checked as
  ``text_outcomes`` does.
* ``pipeline``: what the pipeline shows: ``verified`` where no text model has the language; where one
  has it, ``text`` passages that Whisper's own translation of the same segments agrees with
  (``shared.translation_routes.corroborate``; here the ``windows`` decode of the clip).

Judging rule (reproducible, no model): a passage's *content words* are its words less the English
function words in ``FUNCTION_WORDS`` (negations and personal pronouns are content: "I found it" is
not "They found it"); a word is *supported* when its stem
(lower case, first 5 letters) is the stem of a word of the reference translation of a sentence the
passage overlaps in time, of that sentence's ``also`` list, or of the source sentence itself (a
word Whisper left untranslated). A passage with one unsupported content word or more, or that drops
the negation of a negative reference ("We had to answer" for "did not want to answer"), is
**invented** (the negation rule looks at the sentence the passage overlaps most, and is not applied to
``old``); one with none is **faithful**; one with no text at all (Whisper wrote nothing, or the
engine refused a loop) is **empty**, neither. Omissions are not judged (a faithful passage may say
less). For ``old``, whose segments are timed on their own, the reference is the whole clip (the
most lenient reading).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import espeak_version
from models.fetch import ensure_default_model
from shared.domain import TranscriptionOptions
from shared.domain.audio_format import SAMPLE_RATE
from shared.media import load_audio
from shared.translation_guard import NO_SPEECH, SAME_LANGUAGE, Passage, check, stock_phrase
from shared.translation_routes import TEXT_MODEL, WHISPER_TRANSLATE, text_outcomes, whisper_outcomes
from shared.translation_verify import UNVERIFIED, cross_check, disagreement

DATA = Path(__file__).with_name("data") / "translation_clips.json"
GAP_S = 0.7
LEAD_S = 0.5
RATE_WPM = 150
_FUNCTION_WORDS = """
a an the and or but if then so of to in on at by for from with without into onto about as than that this these
those there here it its it's was were is are am
be been being have has had having do does did will would shall should can could may might must just also very
what which who whom whose when where why how all any some each every up down out off over again too only own same
such more most other let's o'clock
"""
NEGATIONS = frozenset(("not", "no", "never", "nothing", "nobody", "none", "neither", "nor"))
_CONTRACTIONS = {"i'm": "i", "i've": "i", "i'll": "i", "i'd": "i", "he's": "he", "she's": "she", "we're": "we",
                 "they're": "they", "you're": "you", "we've": "we", "they've": "they", "you've": "you"}
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Sentence:
    text: str
    en: str
    also: tuple[str, ...]
    start: float
    end: float


def stem(word: str) -> str:
    w = word.lower().strip("'").removesuffix("'s")
    return w[:5]


def content_words(text: str) -> list[str]:
    text = text.replace("\u2019", "'").replace("\u00b4", "'").replace("`", "'")
    words = [_CONTRACTIONS.get(w.lower(), w.lower()).replace("n't", " not") for w in _WORD.findall(text)]
    return [w for part in words for w in part.split() if w not in FUNCTION_WORDS]


def unsupported(text: str, references: list[Sentence]) -> list[str]:
    """Content words of ``text`` found in none of ``references`` (reference, also, source)."""
    known = {stem(w) for s in references for part in (s.en, s.text, " ".join(s.also)) for w in content_words(part)}
    return [w for w in content_words(text) if stem(w) not in known]


def judge(text: str, references: list[Sentence], principal: Sentence | None = None) -> dict[str, Any]:
    """The verdict on ``text``; the negation rule uses ``principal``, the sentence it overlaps most."""
    missing = unsupported(text, references)
    negative = principal is not None and bool(set(content_words(principal.en)) & NEGATIONS)
    if text.strip() and negative and not set(content_words(text)) & NEGATIONS:
        missing.append("(negation dropped)")
    return {"invented": bool(missing), "empty": not text.strip(), "unsupported": missing,
            "stock_phrase": stock_phrase(" ".join(s.text for s in references), text)}


def make_clip(lang: str, voice: str, sentences: list[dict[str, Any]], tmp: Path) -> tuple[np.ndarray, list[Sentence]]:
    pieces = [np.zeros(round(LEAD_S * SAMPLE_RATE), np.float32)]
    spans: list[Sentence] = []
    t = LEAD_S
    for k, s in enumerate(sentences):
        wav = tmp / f"{lang}-{voice.replace('+', '_')}-{k}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(RATE_WPM), "-w", str(wav), s["text"]],
                       check=True, capture_output=True)
        audio = load_audio(wav)
        spans.append(Sentence(s["text"], s["en"], tuple(s.get("also", ())), round(t, 3),
                              round(t + audio.shape[0] / SAMPLE_RATE, 3)))
        pieces += [audio, np.zeros(round(GAP_S * SAMPLE_RATE), np.float32)]
        t += audio.shape[0] / SAMPLE_RATE + GAP_S
    return np.concatenate(pieces), spans


def principal(start: float, end: float, spans: list[Sentence]) -> Sentence:
    return max(spans, key=lambda s: (min(end, s.end) - max(start, s.start), -s.start))


def overlapping(start: float, end: float, spans: list[Sentence]) -> list[Sentence]:
    hit = [s for s in spans if min(end, s.end) - max(start, s.start) > 0.05]
    if hit:
        return hit
    mid = (start + end) / 2
    return [min(spans, key=lambda s: abs((s.start + s.end) / 2 - mid))]


MODES = ("old", "windows", "guarded", "verified", "text", "pipeline")


def decide(r: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether a passage row is shown in its mode, and why not, by the current guard code.

    ``guarded``: the guards alone; ``verified``: the guards, the cross-checks and the second decode,
    in the order of ``whisper_outcomes``; ``text``: the text model's passage through ``text_outcomes``'
    checks; ``pipeline``: the route the pipeline takes (the text model where it has the language)."""
    mode = r["mode"]
    if mode == "old":
        return True, None
    if r["language"] == "en":  # already English: routed to no translation
        return False, SAME_LANGUAGE if mode != "windows" else None
    if mode == "windows":
        return bool(r["text"]), None
    if not r["text"]:
        return False, r["engine_reason"] or NO_SPEECH
    route = TEXT_MODEL if r["route"] == TEXT_MODEL else WHISPER_TRANSLATE
    reason = check(Passage(r["start"], r["end"], r["source"], r["language"], r["text"], route,
                           r["avg_logprob"], r["no_speech_prob"], r["source_logprob"]), TranscriptionOptions())
    if mode != "guarded":
        reason = reason or cross_check(r["source"], r["language"], r["text"])
        second_opinion = route == WHISPER_TRANSLATE or mode == "pipeline"  # text route: Whisper's reading
        if reason is None and second_opinion and disagreement(r["text"], r["second"] or ""):
            reason = UNVERIFIED
    return reason is None, reason


def _attach_views(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Text-model rows of mode ``pipeline`` get, as ``second``, the text of Whisper's own translation of
    the passage holding them (``corroborate`` in the pipeline), from the clip's ``windows`` rows."""
    out = []
    for r in rows:
        if r["mode"] == "pipeline" and r.get("route") == TEXT_MODEL:
            views = [w for w in rows if w["mode"] == "windows" and w["clip"] == r["clip"]
                     and w["start"] <= r["start"] + 1e-6 and w["end"] >= r["end"] - 1e-6]
            r = {**r, "second": views[0]["text"] if views else None}
        out.append(r)
    return out


def run_clip(engine: Any, translator: Any, lang: str, voice: str, audio: np.ndarray,
             spans: list[Sentence]) -> list[dict[str, Any]]:
    duration = audio.shape[0] / SAMPLE_RATE
    window = [(0.0, duration)]
    base = TranscriptionOptions()
    transcript = engine.transcribe(audio, window, base)
    rows: list[dict[str, Any]] = []
    old = engine.transcribe(audio, window, TranscriptionOptions(task="translate"))
    for s in old.segments:
        rows.append({"mode": "old", "start": s.start, "end": s.end, "text": s.text.strip(), "language": None})
    segs = [s.to_dict() for s in transcript.segments]
    whisper: list[dict[str, Any]] = []  # the whisper-translate passages, one row each, before the modes
    for s in transcript.segments:  # already English: routed to no translation (same_language)
        if s.language == "en":
            whisper.append({"start": s.start, "end": s.end, "text": "", "covers": 1, "source": s.text.strip(),
                            "language": "en", "avg_logprob": None, "no_speech_prob": None, "second": None,
                            "engine_reason": None, "source_logprob": s.avg_logprob,
                            "source_no_speech": s.no_speech_prob})
    texts: list[dict[str, Any]] = []
    for language in sorted({s.language for s in transcript.segments} - {"en"}):
        ids = [i for i, s in enumerate(transcript.segments) if s.language == language]
        opts = TranscriptionOptions(task="translate", language=language)
        outs = whisper_outcomes(segs, ids, 0.0, duration, lambda w, o: engine.transcribe(audio, w, o), opts)
        for o in outs:
            covered = transcript.segments[o["source_id"] - 1:o["source_id"] - 1 + o["covers"]]
            text = (o["text"] or "").strip()
            whisper.append({"start": o["start"], "end": o["end"], "text": text, "covers": o["covers"],
                            "source": " ".join(c.text.strip() for c in covered), "language": language,
                            "avg_logprob": o["avg_logprob"], "no_speech_prob": o["no_speech_prob"],
                            "second": o["second"], "engine_reason": None if text else o["reason"],
                            "source_logprob": min(c.avg_logprob for c in covered),
                            "source_no_speech": max(c.no_speech_prob for c in covered)})
        if translator is not None and translator.supports(language, "en"):
            got = text_outcomes(segs, ids, translator.translate([segs[i]["text"] for i in ids], language, "en"),
                                language, TranscriptionOptions())
            for o, i in zip(got, ids, strict=True):
                texts.append({"start": o["start"], "end": o["end"], "text": (o["text"] or "").strip(), "covers": 1,
                              "source": segs[i]["text"].strip(), "language": language, "avg_logprob": None,
                              "no_speech_prob": None, "second": None, "engine_reason": None,
                              "source_logprob": segs[i]["avg_logprob"], "source_no_speech": segs[i]["no_speech_prob"],
                              "route": TEXT_MODEL})
    text_languages = {r["language"] for r in texts}
    for mode in ("windows", "guarded", "verified"):
        rows += [{**r, "mode": mode, "route": WHISPER_TRANSLATE} for r in whisper]
    rows += [{**r, "mode": "text"} for r in texts]
    rows += [{**r, "mode": "pipeline"} for r in texts]
    rows += [{**r, "mode": "pipeline", "route": WHISPER_TRANSLATE} for r in whisper
             if r["language"] not in text_languages]
    for r in rows:
        r.update(clip=f"{lang}/{voice}", spoken=lang)
    return [_judged(r, spans) for r in _attach_views(rows)]


def _judged(r: dict[str, Any], spans: list[Sentence]) -> dict[str, Any]:
    if r["mode"] == "old":
        verdict = judge(r["text"], spans)
    else:
        at = (r["start"], r["end"], spans)
        verdict = judge(r["text"], overlapping(*at), principal(*at))
    shown, reason = decide(r)
    return {**r, **verdict, "shown": shown, "reason": reason}


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for mode in MODES:
        rs = [r for r in rows if r["mode"] == mode]
        if not rs:
            continue
        faithful = [r for r in rs if not r["invented"] and not r["empty"]]
        out[mode] = {
            "passages": len(rs),
            "shown": sum(r["shown"] for r in rs),
            "invented_shown": sum(r["shown"] and r["invented"] for r in rs),
            "stock_phrase_shown": sum(r["shown"] and r["stock_phrase"] is not None for r in rs),
            "faithful": len(faithful),
            "faithful_shown": sum(r["shown"] for r in faithful),
            "withheld": sum(not r["shown"] for r in rs),
            "withheld_empty": sum(not r["shown"] and r["empty"] for r in rs),
        }
    return out


def _reasons(rows: list[dict[str, Any]], mode: str) -> dict[str, dict[str, int]]:
    """Withheld passages of ``mode`` per reason, split into invented, faithful and empty ones."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["mode"] == mode and not r["shown"]:
            d = out.setdefault(r["reason"], {"invented": 0, "faithful": 0, "empty": 0})
            d["empty" if r["empty"] else "invented" if r["invented"] else "faithful"] += 1
    return dict(sorted(out.items()))


def rejudge(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Verdicts and decisions again, by the current judge and guard code, on stored model outputs
    (the same decodes; the clips' sentence times are re-made by espeak-ng, no model)."""
    data = json.loads(DATA.read_text())["languages"]
    spans: dict[str, list[Sentence]] = {}
    with tempfile.TemporaryDirectory(prefix="toex-tguard-") as tmp:
        for clip in sorted({r["clip"] for r in rows}):
            lang, voice = clip.split("/")
            spans[clip] = make_clip(lang, voice, data[lang]["sentences"], Path(tmp))[1]
    return [_judged(r, spans[r["clip"]]) for r in _attach_views(rows)]


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    modes = [m for m in MODES if any(r["mode"] == m for r in rows)]
    by_language = {mode: {lang: summary([r for r in rows if r["spoken"] == lang and r["mode"] == mode])[mode]
                          for lang in sorted({r["spoken"] for r in rows if r["mode"] == mode})}
                   for mode in modes if mode != "old"}
    return {"summary": summary(rows), "by_language": by_language,
            "withheld_by_reason": {m: _reasons(rows, m) for m in modes if m != "old"},
            "invented_shown": [{k: r[k] for k in ("mode", "clip", "text", "source", "unsupported", "second")
                                if k in r} for r in rows if r["shown"] and r["invented"] and r["mode"] != "old"]}


def text_translator(threads: int) -> Any:
    """The text models ``toex setup`` exported (as the local pipeline loads them), or None."""
    from models.fetch import default_translation_dirs
    from shared.adapters.inference_local import LocalTranslator, TranslatorSet

    dirs = default_translation_dirs()
    return TranslatorSet([LocalTranslator(d, ("CPUExecutionProvider",), threads) for d in dirs]) if dirs else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--languages", default="", help="comma-separated subset (default: all)")
    ap.add_argument("--out", type=Path, help="write every passage as JSON lines here")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rejudge", type=Path, help="re-apply the guards to the passages of an earlier --out file")
    ap.add_argument("--no-text-model", action="store_true", help="leave out the text-model route (mode text)")
    args = ap.parse_args(argv)
    if args.rejudge:
        stored = rejudge([json.loads(line) for line in args.rejudge.read_text().splitlines() if line])
        print(json.dumps({"rejudged": str(args.rejudge), **report(stored)}, indent=2, ensure_ascii=False))
        return 0
    from shared.inference.whisper import WhisperEngine

    data = json.loads(DATA.read_text())["languages"]
    wanted = [x for x in args.languages.split(",") if x] or list(data)
    engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=args.threads)
    translator = None if args.no_text_model else text_translator(args.threads)
    rows: list[dict[str, Any]] = []
    if args.out:
        args.out.write_text("")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="toex-tguard-") as tmp:
        for lang in wanted:
            for voice in data[lang]["voices"]:
                audio, spans = make_clip(lang, voice, data[lang]["sentences"], Path(tmp))
                got = run_clip(engine, translator, lang, voice, audio, spans)
                rows += got
                if args.out:
                    with args.out.open("a") as f:
                        f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got))
                print(f"{lang}/{voice}: {json.dumps(summary(got)['guarded'])}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(json.dumps({"espeak": espeak_version(), "languages": wanted, "seconds": round(time.time() - t0),
                      "load": [round(x, 2) for x in load], "text_model": translator is not None and [
                          t.model_info for t in translator.translators], **report(rows)}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
