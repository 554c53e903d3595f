"""The source transcript's words for the translation checks: added to an older decode, and what they
cost (``shared.translation_lexicon``'s weak-support rule reads Whisper's probability of each word, so a
translation job transcribes with word timestamps).

    TOEX_CACHE=... python -m bench.translation_words [--clips 8] [--threads 1]
    TOEX_CACHE=... python -m bench.translation_words --add-source-words old.jsonl --out new.jsonl

Times the transcription of the first ``--clips`` tuning clips (``bench.translation_guard``) without and
with word timestamps, alternating per clip in one process (the same load for both), and checks the
text is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.translation_guard import SAMPLE_RATE, SPLITS, TUNING, clip_specs, make_clip, source_words
from models.fetch import ensure_default_model
from shared.domain import TranscriptionOptions


def add_source_words(rows: list[dict[str, Any]], engine: Any) -> list[dict[str, Any]]:
    """Rows of an earlier ``--out`` file (made before the bench stored words) with ``source_words``:
    each clip transcribed again with word timestamps (the same beam search; a row whose segments do
    not come out with the same text keeps None)."""
    specs = {c.name: c for split in SPLITS for c in clip_specs(split)}
    out: list[dict[str, Any]] = []
    for name in dict.fromkeys(r["clip"] for r in rows):
        spec = specs[name]
        audio, _ = make_clip(spec.lang, spec.voice, spec.sentences)
        transcript = engine.transcribe(audio, [(0.0, audio.shape[0] / SAMPLE_RATE)],
                                       TranscriptionOptions(word_timestamps=True))
        for r in (r for r in rows if r["clip"] == name):
            covered = [x for x in transcript.segments if r["mode"] != "old" and x.start >= r["start"] - 1e-3
                       and x.end <= r["end"] + 1e-3]
            same = covered and " ".join(x.text.strip() for x in covered) == r.get("source")
            out.append({**r, "source_words": source_words(covered) if same else None})
        print(f"{name}: words", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--add-source-words", type=Path,
                    help="an earlier bench.translation_guard --out file: its clips transcribed again, to --out")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    from shared.inference.whisper import WhisperEngine

    engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=args.threads)
    if args.add_source_words and args.out:
        stored = [json.loads(line) for line in args.add_source_words.read_text().splitlines() if line]
        got = add_source_words(stored, engine)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got))
        print(json.dumps({"rows": len(got), "with_words": sum(r["source_words"] is not None for r in got)}))
        return 0
    seconds = {False: 0.0, True: 0.0}
    same, audio_s = 0, 0.0
    specs = clip_specs(TUNING)[:args.clips]
    for spec in specs:
        audio, _ = make_clip(spec.lang, spec.voice, spec.sentences)
        window = [(0.0, audio.shape[0] / SAMPLE_RATE)]
        audio_s += window[0][1]
        texts = {}
        for words in (False, True):
            t0 = time.perf_counter()
            got = engine.transcribe(audio, window, TranscriptionOptions(word_timestamps=words))
            seconds[words] += time.perf_counter() - t0
            texts[words] = [s.text for s in got.segments]
        same += texts[False] == texts[True]
    print(json.dumps({"clips": len(specs), "audio_s": round(audio_s, 1), "threads": args.threads,
                      "seconds_without_words": round(seconds[False], 1), "seconds_with_words": round(seconds[True], 1),
                      "extra": round(seconds[True] / seconds[False] - 1, 3), "same_text": same,
                      "load": [round(x, 2) for x in os.getloadavg()]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
