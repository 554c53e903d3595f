"""Invented and withheld translated passages, before and after the translation guards.

    TOEX_CACHE=... python -m bench.translation_guard [--languages fr,de] [--out results.jsonl]

Clips: the sentences of ``bench/data/translation_clips.json`` (six languages, two espeak-ng voices
each), spoken one after another with 0.7 s of silence, made here by espeak-ng (nothing generated is
committed). Model: the real Whisper base int8 (``models.fetch.ensure_default_model``), beam 5, the
pipeline's defaults, language detected as in the pipeline.

Three ways of translating each clip into English are judged:

* ``old``: what the pipeline did before: Whisper's translate task on the whole speech window, no
  checks; every segment shown.
* ``windows``: the transcript's segments translated window by window and aligned back onto them
  (``shared.translation_routes.whisper_outcomes``), every passage shown.
* ``guarded``: the same passages, shown only when ``shared.translation_guard`` lets them through.

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
from shared.media import load_audio
from shared.media.audio_format import SAMPLE_RATE
from shared.translation_guard import SAME_LANGUAGE, Passage, check, stock_phrase
from shared.translation_routes import whisper_outcomes

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


def run_clip(engine: Any, lang: str, voice: str, audio: np.ndarray, spans: list[Sentence]) -> list[dict[str, Any]]:
    duration = audio.shape[0] / SAMPLE_RATE
    window = [(0.0, duration)]
    base = TranscriptionOptions()
    transcript = engine.transcribe(audio, window, base)
    rows: list[dict[str, Any]] = []
    old = engine.transcribe(audio, window, TranscriptionOptions(task="translate"))
    for s in old.segments:
        rows.append({"mode": "old", "shown": True, "start": s.start, "end": s.end, "text": s.text.strip(),
                     **judge(s.text, spans)})
    segs = [s.to_dict() for s in transcript.segments]
    for s in transcript.segments:  # already English: routed to no translation (same_language)
        if s.language == "en":
            common = {"start": s.start, "end": s.end, "text": "", "covers": 1, "source": s.text.strip(),
                      "language": "en", "avg_logprob": None, "no_speech_prob": None,
                      "source_logprob": s.avg_logprob, "source_no_speech": s.no_speech_prob, **judge("", spans)}
            rows.append({"mode": "windows", "shown": False, **common})
            rows.append({"mode": "guarded", "shown": False, "reason": SAME_LANGUAGE, **common})
    for language in sorted({s.language for s in transcript.segments} - {"en"}):
        ids = [i for i, s in enumerate(transcript.segments) if s.language == language]
        opts = TranscriptionOptions(task="translate", language=language)
        outs = whisper_outcomes(segs, ids, 0.0, duration, lambda w, o: engine.transcribe(audio, w, o), opts)
        for o in outs:
            text = (o["text"] or "").strip()
            verdict = judge(text, overlapping(o["start"], o["end"], spans), principal(o["start"], o["end"], spans))
            covered = transcript.segments[o["source_id"] - 1:o["source_id"] - 1 + o["covers"]]
            common = {"start": o["start"], "end": o["end"], "text": text, "covers": o["covers"],
                      "source": " ".join(c.text.strip() for c in covered), "language": language,
                      "avg_logprob": o["avg_logprob"], "no_speech_prob": o["no_speech_prob"],
                      "source_logprob": min(c.avg_logprob for c in covered),
                      "source_no_speech": max(c.no_speech_prob for c in covered), **verdict}
            rows.append({"mode": "windows", "shown": bool(text), **common})
            rows.append({"mode": "guarded", "shown": o["reason"] is None, "reason": o["reason"], **common})
    for r in rows:
        r.update(clip=f"{lang}/{voice}", spoken=lang)
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for mode in ("old", "windows", "guarded"):
        rs = [r for r in rows if r["mode"] == mode]
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


def _reasons(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Withheld guarded passages per reason, split into invented and faithful ones."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["mode"] == "guarded" and not r["shown"]:
            d = out.setdefault(r["reason"], {"invented": 0, "faithful": 0, "empty": 0})
            d["empty" if r["empty"] else "invented" if r["invented"] else "faithful"] += 1
    return dict(sorted(out.items()))


def rejudge(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Verdicts and guarded decisions again, by the current judge and guard code, on stored model
    outputs (the same decodes; the clips' sentence times are re-made by espeak-ng, no model)."""
    data = json.loads(DATA.read_text())["languages"]
    spans: dict[str, list[Sentence]] = {}
    with tempfile.TemporaryDirectory(prefix="toex-tguard-") as tmp:
        for clip in sorted({r["clip"] for r in rows}):
            lang, voice = clip.split("/")
            spans[clip] = make_clip(lang, voice, data[lang]["sentences"], Path(tmp))[1]
    out = []
    for r in rows:
        clip = spans[r["clip"]]
        if r["mode"] == "old":
            r = {**r, **judge(r["text"], clip)}
        else:
            at = (r["start"], r["end"], clip)
            r = {**r, **judge(r["text"], overlapping(*at), principal(*at))}
        if r["mode"] in ("guarded", "windows") and r["language"] == "en":  # routed to no translation
            r = {**r, "shown": False, "reason": SAME_LANGUAGE if r["mode"] == "guarded" else None}
        elif r["mode"] == "guarded" and r["text"]:
            reason = check(Passage(r["start"], r["end"], r["source"], r["language"], r["text"],
                                   "whisper-translate", r["avg_logprob"], r["no_speech_prob"],
                                   r["source_logprob"]), TranscriptionOptions())
            r = {**r, "reason": reason, "shown": reason is None}
        out.append(r)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--languages", default="", help="comma-separated subset (default: all)")
    ap.add_argument("--out", type=Path, help="write every passage as JSON lines here")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rejudge", type=Path, help="re-apply the guards to the passages of an earlier --out file")
    args = ap.parse_args(argv)
    if args.rejudge:
        rows = rejudge([json.loads(line) for line in args.rejudge.read_text().splitlines() if line])
        by_language = {lang: summary([r for r in rows if r["spoken"] == lang])["guarded"]
                       for lang in sorted({r["spoken"] for r in rows})}
        print(json.dumps({"rejudged": str(args.rejudge), "summary": summary(rows), "guarded_by_language": by_language,
                          "withheld_by_reason": _reasons(rows)}, indent=2))
        return 0
    from shared.inference.whisper import WhisperEngine

    data = json.loads(DATA.read_text())["languages"]
    wanted = [x for x in args.languages.split(",") if x] or list(data)
    engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=args.threads)
    rows: list[dict[str, Any]] = []
    if args.out:
        args.out.write_text("")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="toex-tguard-") as tmp:
        for lang in wanted:
            for voice in data[lang]["voices"]:
                audio, spans = make_clip(lang, voice, data[lang]["sentences"], Path(tmp))
                got = run_clip(engine, lang, voice, audio, spans)
                rows += got
                if args.out:
                    with args.out.open("a") as f:
                        f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got))
                print(f"{lang}/{voice}: {json.dumps(summary(got)['guarded'])}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(json.dumps({"espeak": espeak_version(), "languages": wanted, "seconds": round(time.time() - t0),
                      "load": [round(x, 2) for x in load], "summary": summary(rows)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
