"""Invented and withheld translated passages, before and after the translation guards.

    TOEX_CACHE=... python -m bench.translation_guard [--split tuning|held-out|held-out-2|held-out-3]
                   [--languages fr,de] [--out results.jsonl] [--no-text-model] [--no-old]
    TOEX_CACHE=... python -m bench.translation_guard --rejudge results.jsonl
    TOEX_CACHE=... python -m bench.translation_words --add-source-words old.jsonl --out new.jsonl
    python -m bench.translation_guard --references [--split ...]   # reference pairs the cross-checks withhold

Clips: the sentences of ``bench/data/translation_clips.json`` (seven languages; a tuning split of
eight sentences by three espeak-ng voices a language, a held-out split of four other sentences by
two other voices, a second held-out split of eight more sentences by two voices used nowhere
else, and a third of four more sentences by three named espeak-ng variants used nowhere else, each
to be scored once), four sentences a clip, 0.7 s of silence between them. Every row keeps the
source transcript's words with Whisper's probability of each (``source_words``; the transcript is
made with word timestamps, as the pipeline does for a translation job); ``bench.translation_words``
adds them to a decode made before.
Each sentence's reading is made by espeak-ng once per espeak-ng version into the project's cache
(``<cache root>/bench/translation-clips``; nothing generated is committed). Model: the real Whisper
base int8 (``models.fetch.ensure_default_model``), beam 5, the pipeline's defaults, language
detected as in the pipeline.

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

Judge: ``bench.translation_judge`` (strict, per passage, against the references of the sentences the
passage itself translates; no model). For ``old``, whose segments are timed on their own, the
references are the whole clip's (the most lenient reading).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import espeak_version
from bench.translation_judge import Sentence, judge, translated
from models.fetch import ensure_default_model
from shared.domain import TranscriptionOptions
from shared.domain.audio_format import SAMPLE_RATE
from shared.media import load_audio
from shared.translation_guard import NO_SPEECH, SAME_LANGUAGE, Passage, check
from shared.translation_routes import TEXT_MODEL, WHISPER_TRANSLATE, text_outcomes, whisper_outcomes
from shared.translation_verify import UNVERIFIED, cross_check, disagreement

DATA = Path(__file__).with_name("data") / "translation_clips.json"
GAP_S = 0.7
LEAD_S = 0.5
RATE_WPM = 150
PER_CLIP = 4  # sentences a clip
TUNING, HELD_OUT, HELD_OUT_2, HELD_OUT_3 = "tuning", "held-out", "held-out-2", "held-out-3"
SPLITS = {TUNING: ("sentences", "voices"), HELD_OUT: ("held_out", "held_out_voices"),
          HELD_OUT_2: ("held_out_2", "held_out_2_voices"), HELD_OUT_3: ("held_out_3", "held_out_3_voices")}
ROUND_ROBIN = (HELD_OUT_2, HELD_OUT_3)


@dataclass(frozen=True)
class ClipSpec:
    """One clip: a language, a voice, and the sentences it speaks, in order."""

    lang: str
    voice: str
    part: str  # "tuning-0", "tuning-1", ... or "held-out-0"
    sentences: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        return f"{self.lang}/{self.voice}/{self.part}"


def clip_specs(split: str, languages: list[str] | None = None) -> list[ClipSpec]:
    """The clips of ``split`` (``SPLITS``: its sentences by its voices), four sentences a clip. Tuning
    and held-out in the data file's order; ``ROUND_ROBIN`` splits (every language's and voice's
    first clip, then the second ones), so that a run cut short still covers every language."""
    data = json.loads(DATA.read_text())["languages"]
    key, voices = SPLITS[split]
    out = []
    for lang in languages or list(data):
        sentences = data[lang].get(key, [])
        for voice in data[lang].get(voices, []):
            for k in range(0, len(sentences), PER_CLIP):
                out.append(ClipSpec(lang, voice, f"{split}-{k // PER_CLIP}", tuple(sentences[k:k + PER_CLIP])))
    if split in ROUND_ROBIN:
        out.sort(key=lambda c: c.part)  # stable: languages and voices keep their order within a part
    return out


def clip_cache() -> Path:
    from shared.settings import cache_root

    return cache_root() / "bench" / "translation-clips"


def spoken(text: str, voice: str, cache: Path) -> np.ndarray:
    """espeak-ng's reading of ``text`` by ``voice`` at ``RATE_WPM``, made once per espeak-ng version into
    ``cache`` (file name: a hash of version, voice, rate and text; written atomically)."""
    key = hashlib.sha256(f"{espeak_version()}|{voice}|{RATE_WPM}|{text}".encode()).hexdigest()[:24]
    wav = cache / f"{key}.wav"
    if not wav.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        part = cache / f"{key}.{os.getpid()}.part.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(RATE_WPM), "-w", str(part), text],
                       check=True, capture_output=True)
        part.replace(wav)
    return load_audio(wav)


def make_clip(lang: str, voice: str, sentences: Sequence[dict[str, Any]],
              cache: Path | None = None) -> tuple[np.ndarray, list[Sentence]]:
    """The clip's audio (``LEAD_S`` of silence, then each sentence and ``GAP_S`` of silence) and the
    spoken span of each sentence; sentence readings are cached in ``cache`` (default ``clip_cache()``)."""
    cache = cache or clip_cache()
    pieces = [np.zeros(round(LEAD_S * SAMPLE_RATE), np.float32)]
    spans: list[Sentence] = []
    t = LEAD_S
    for s in sentences:
        audio = spoken(s["text"], voice, cache)
        spans.append(Sentence(s["text"], s["en"], tuple(s.get("also", ())), round(t, 3),
                              round(t + audio.shape[0] / SAMPLE_RATE, 3)))
        pieces += [audio, np.zeros(round(GAP_S * SAMPLE_RATE), np.float32)]
        t += audio.shape[0] / SAMPLE_RATE + GAP_S
    return np.concatenate(pieces), spans


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
        reason = reason or cross_check(r["source"], r["language"], r["text"], r.get("source_words"))
        second_opinion = route == WHISPER_TRANSLATE or mode == "pipeline"  # text route: Whisper's reading
        source = r["source"] if route == WHISPER_TRANSLATE else ""  # corroborate() compares the texts alone
        if reason is None and second_opinion and disagreement(r["text"], r["second"] or "", source_text=source):
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


def _no_cross_check(source_text: str, language: str, english: str, words: Any = None) -> str | None:
    return None


def run_clip(engine: Any, translator: Any, spec: ClipSpec, audio: np.ndarray, spans: list[Sentence],
             with_old: bool = True) -> list[dict[str, Any]]:
    """Every passage of one clip in every mode, judged. The second decode is run for every window whose
    passages pass the guards (the cross-checks are left to ``decide``), so that ``--rejudge`` can apply
    any cross-check code to the stored decodes."""
    duration = audio.shape[0] / SAMPLE_RATE
    window = [(0.0, duration)]
    base = TranscriptionOptions()
    transcript = engine.transcribe(audio, window, replace(base, word_timestamps=True))  # words: source_words
    rows: list[dict[str, Any]] = []
    if with_old:
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
                            "source_no_speech": s.no_speech_prob, "source_words": source_words([s])})
    texts: list[dict[str, Any]] = []
    for language in sorted({s.language for s in transcript.segments} - {"en"}):
        ids = [i for i, s in enumerate(transcript.segments) if s.language == language]
        opts = TranscriptionOptions(task="translate", language=language)
        outs = whisper_outcomes(segs, ids, 0.0, duration, lambda w, o: engine.transcribe(audio, w, o), opts,
                                verify=_no_cross_check)
        for o in outs:
            covered = transcript.segments[o["source_id"] - 1:o["source_id"] - 1 + o["covers"]]
            text = (o["text"] or "").strip()
            whisper.append({"start": o["start"], "end": o["end"], "text": text, "covers": o["covers"],
                            "source": " ".join(c.text.strip() for c in covered), "language": language,
                            "avg_logprob": o["avg_logprob"], "no_speech_prob": o["no_speech_prob"],
                            "second": o["second"], "engine_reason": None if text else o["reason"],
                            "source_logprob": min(c.avg_logprob for c in covered),
                            "source_no_speech": max(c.no_speech_prob for c in covered),
                            "source_words": source_words(covered)})
        if translator is not None and translator.supports(language, "en"):
            got = text_outcomes(segs, ids, translator.translate([segs[i]["text"] for i in ids], language, "en"),
                                language, TranscriptionOptions())
            for o, i in zip(got, ids, strict=True):
                texts.append({"start": o["start"], "end": o["end"], "text": (o["text"] or "").strip(), "covers": 1,
                              "source": segs[i]["text"].strip(), "language": language, "avg_logprob": None,
                              "no_speech_prob": None, "second": None, "engine_reason": None,
                              "source_logprob": segs[i]["avg_logprob"], "source_no_speech": segs[i]["no_speech_prob"],
                              "source_words": source_words([transcript.segments[i]]), "route": TEXT_MODEL})
    text_languages = {r["language"] for r in texts}
    for mode in ("windows", "guarded", "verified"):
        rows += [{**r, "mode": mode, "route": WHISPER_TRANSLATE} for r in whisper]
    rows += [{**r, "mode": "text"} for r in texts]
    rows += [{**r, "mode": "pipeline"} for r in texts]
    rows += [{**r, "mode": "pipeline", "route": WHISPER_TRANSLATE} for r in whisper
             if r["language"] not in text_languages]
    for r in rows:
        r.update(clip=spec.name, spoken=spec.lang)
    return [_judged(r, spans) for r in _attach_views(rows)]


def source_words(segments: Sequence[Any]) -> list[list[Any]] | None:
    """The source transcript's words with Whisper's probability of each (``[text, probability]``), for
    the segments a passage translates; None when the transcript has no words."""
    if any(s.words is None for s in segments):
        return None
    return [[w.text.strip(), w.probability] for s in segments for w in s.words]


def _judged(r: dict[str, Any], spans: list[Sentence]) -> dict[str, Any]:
    verdict = judge(r["text"], spans if r["mode"] == "old" else translated(r["start"], r["end"], spans))
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
    (the same decodes; the clips' sentence times come from the cached readings, no model)."""
    specs = {c.name: c for split in SPLITS for c in clip_specs(split)}
    spans = {name: make_clip(c.lang, c.voice, c.sentences)[1] for name, c in specs.items()
             if name in {r["clip"] for r in rows}}
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


def withheld_references(split: str) -> dict[str, Any]:
    """The split's sentences as an exact transcript with my reference translation, through the
    cross-checks: every one withheld is a faithful passage the checks would refuse (no model)."""
    data = json.loads(DATA.read_text())["languages"]
    key = SPLITS[split][0]
    pairs = [(lang, s) for lang in data for s in data[lang].get(key, [])]
    withheld = [{"language": lang, "text": s["text"], "en": s["en"]} for lang, s in pairs
                if cross_check(s["text"], lang, s["en"]) is not None]
    return {"split": split, "sentences": len(pairs), "withheld": len(withheld), "which": withheld}


def text_translator(threads: int) -> Any:
    """The text models ``toex setup`` exported (as the local pipeline loads them), or None."""
    from models.fetch import default_translation_dirs
    from shared.adapters.inference_local import LocalTranslator, TranslatorSet

    dirs = default_translation_dirs()
    return TranslatorSet([LocalTranslator(d, ("CPUExecutionProvider",), threads) for d in dirs]) if dirs else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=tuple(SPLITS), default=TUNING,
                    help="the tuning clips (default), or a held-out split (score it once, at the end)")
    ap.add_argument("--languages", default="", help="comma-separated subset (default: all)")
    ap.add_argument("--out", type=Path, help="write every passage as JSON lines here")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rejudge", type=Path, help="re-apply the guards to the passages of an earlier --out file")
    ap.add_argument("--no-text-model", action="store_true", help="leave out the text-model route (mode text)")
    ap.add_argument("--no-old", action="store_true", help="leave out the route before issue 8 (mode old)")
    ap.add_argument("--resume", action="store_true", help="keep the clips already in --out, run the others")
    ap.add_argument("--references", action="store_true",
                    help="the split's exact sentences with their references through the cross-checks (no model)")
    args = ap.parse_args(argv)
    if args.references:
        print(json.dumps(withheld_references(args.split), indent=2, ensure_ascii=False))
        return 0
    if args.rejudge:
        stored = rejudge([json.loads(line) for line in args.rejudge.read_text().splitlines() if line])
        print(json.dumps({"rejudged": str(args.rejudge), **report(stored)}, indent=2, ensure_ascii=False))
        return 0
    from shared.inference.whisper import WhisperEngine

    specs = clip_specs(args.split, [x for x in args.languages.split(",") if x] or None)
    engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=args.threads)
    translator = None if args.no_text_model else text_translator(args.threads)
    rows: list[dict[str, Any]] = []
    if args.out and args.resume and args.out.is_file():
        rows = [json.loads(line) for line in args.out.read_text().splitlines() if line]
    elif args.out:
        args.out.write_text("")
    done = {r["clip"] for r in rows}
    t0 = time.time()
    for spec in [s for s in specs if s.name not in done]:
        audio, spans = make_clip(spec.lang, spec.voice, spec.sentences)
        got = run_clip(engine, translator, spec, audio, spans, with_old=not args.no_old)
        rows += got
        if args.out:
            with args.out.open("a") as f:
                f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got))
        print(f"{spec.name}: {json.dumps(summary(got).get('guarded'))}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(json.dumps({"espeak": espeak_version(), "split": args.split, "clips": len(specs),
                      "seconds": round(time.time() - t0), "load": [round(x, 2) for x in load],
                      "text_model": translator is not None and [t.model_info for t in translator.translators],
                      **report(rows)}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
