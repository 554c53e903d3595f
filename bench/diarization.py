"""Diarization benchmark: DER, speaker count, words at turn changes, boundary timing, time.

    python -m bench.diarization [--threads 1] [--no-transcribe] [--speakers auto|N|LOW-HIGH|ref] [--alternates]
        [--random dev|holdout|both|fresh|fresh2|fresh3] [--overlap] [--quick] [--json OUT] [--windows-cache DIR]
        [--transcript-cache DIR] [--no-timbre] [--no-refine]

Files: pyannote's sample.wav against its sample.rttm (real, two speakers with a short overlap), and
each of its two real voices alone (its stretches of talking alone laid end to end: a real
one-voice recording, which must give one speaker),
and espeak-ng dialogues built by ``bench.dialogues`` with exact reference turns: 2, 3 and 4 voices
with pauses of 0.3-1.0 s, and a one-voice monologue. ``--random`` adds the same scripts with random
casts (``dialogues.random_cast``; ``dev`` seeds are for tuning, ``holdout`` seeds are not), every
third seed also as a phone-quality copy (``dialogues.telephone``). ``--speakers ref`` gives each
file its reference speaker count (assignment with the count known). ``--overlap`` adds the 2-, 3-
and 4-voice scripts with overlapped turn changes and back-channels (``dialogues.build_overlapped``):
``-overlap`` (base cast, seed 31; the overlap threshold was chosen on it), ``-overlap-alt`` (ALT_VOICES,
seed 32) and ``-overlap-unseen`` (UNSEEN_VOICES, seed 33, never used to choose anything).

``--quick`` adds the quick exchanges (``dialogues.QUICK_SCRIPTS``: short replies with pauses of 0.05-0.15 s,
under the diarization VAD's 0.2 s, so several turns share one speech region) in the base, ALT and UNSEEN
casts and six random casts (seeds 5101-5106, two with phone copies). ``--no-refine`` diarizes without the
resegmentation inside speech regions (``shared.diarization.refine``), for before/after figures.

``--transcript-cache DIR`` keeps each file's Whisper segments (keyed by the audio's and the Whisper
model's SHA-256) with the transcription time measured when they were made.

``--windows-cache DIR`` keeps each file's audio, reference turns and speaker windows in
``DIR/<file>.npz`` (keyed by the audio's and the speaker model's SHA-256), so clustering changes can be
measured again without embedding again (``--no-transcribe`` runs then take seconds; the
diarization time reported for a cached file is the clustering and turns only).

Per file:
- DER with a 0.25 s collar (``bench.der``), and the speaker count found against the reference's;
  ``der`` scores the single-speaker turns only, ``der_overlap`` the turns plus both speakers over
  every marked overlap (``shared.diarization.overlap``).
- Overlap, on the 10 ms grid: reference overlap time (two or more reference speakers), marked
  overlap time, and of it the time that is real overlap (precision = that / marked, recall = that /
  reference); on a file without reference overlap every marked second is a false overlap.
- Diarization time (VAD + embeddings + clustering + turns) as % of transcription time on the same
  file: Whisper base int8 on the CPU, English, word timestamps on (diarization needs word times),
  same thread count, over the Whisper windows the pipeline would plan (VAD pieces ≤ 30 s).
- With the transcript: segments cut at speaker changes (``shared.diarization.resegment``), then
  * spans: segments holding more than 0.1 s each of two reference speakers talking alone (time
    where the reference has two speakers at once, overlap, counts for neither);
  * boundaries: for each reference turn, |start of its first segment - turn start| and |end of its
    last segment - turn end| (a segment belongs to the turn it overlaps most); median and max;
  * words at turn changes: words whose middle lies in the first or last 0.5 s of a reference turn,
    and the share of them whose speaker is the one mapped to that turn's speaker (DER mapping).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import dialogues
from bench.der import STEP, best_mapping, der
from bench.dialogues import Turn
from models.fetch import ensure_default_model, fetch_speaker_assets, sample_path, speaker_model_path, vad_model_path
from shared.diarization.clustering import SpeakerCount
from shared.diarization.diarize import Diarization, diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.diarization.overlap import mark_overlaps, overlap_cues, overlap_turns
from shared.diarization.prosody import frame_pitch, window_pitch
from shared.diarization.refine import RefineOptions
from shared.diarization.resegment import resegment
from shared.diarization.timbre import window_timbre
from shared.diarization.types import SpeakerSegment
from shared.diarization.units import chunk_units
from shared.domain.transcript import Segment, TranscriptionOptions
from shared.media import load_audio
from shared.media.vad import SileroVad, VadOptions, speech_pieces

EDGE_S = 0.5
SPAN_TOLERANCE_S = 0.1


@dataclass(frozen=True)
class Item:
    name: str
    audio: np.ndarray
    turns: list[Turn]


def random_items(which: str) -> list[Item]:
    """Random-cast dialogues (``name-rSEED[-phone]``): ``dev``, ``holdout`` (used: scored while tuning),
    ``both`` (those two), ``fresh`` (the held-out set made for the count work, scored once: used now) or
    ``fresh2`` (made for the resegmentation work, scored once before and once after it: used now) or
    ``fresh3`` (seeds 4201-4210, made for the speaker-count work, scored once before and once after it)."""
    seeds = {"dev": dialogues.DEV_SEEDS, "holdout": dialogues.HOLDOUT_SEEDS,
             "both": dialogues.DEV_SEEDS + dialogues.HOLDOUT_SEEDS, "fresh": dialogues.FRESH_SEEDS,
             "fresh2": dialogues.FRESH2_SEEDS, "fresh3": dialogues.FRESH3_SEEDS}[which]
    out = []
    for seed in seeds:
        cast = dialogues.random_cast(seed)
        for name in dialogues.SCRIPTS:
            d = dialogues.build(name, seed=seed, voices=cast)
            out.append(Item(f"{name}-r{seed}", d.audio, list(d.turns)))
            if seed % 3 == 0:
                out.append(Item(f"{name}-r{seed}-phone", dialogues.telephone(d.audio, seed), list(d.turns)))
    return out


def one_voice_parts(name: str, audio: np.ndarray, ref: list[Turn], gap_s: float = 0.5) -> list[Item]:
    """Real one-voice recordings from a real dialogue: each reference speaker's stretches of talking
    alone (``solo_turns``, at least 0.5 s), laid end to end with `gap_s` of silence between them."""
    out = []
    for speaker in sorted({t.speaker for t in ref}):
        parts: list[np.ndarray] = []
        turns, t = [], gap_s
        for who, a, b in solo_turns(ref):
            if who != speaker or b - a < 0.5:
                continue
            clip = audio[round(a * 16000):round(b * 16000)]
            parts += [np.zeros(round(gap_s * 16000), np.float32), clip.astype(np.float32)]
            turns.append(Turn(speaker, round(t, 4), round(t + clip.size / 16000, 4), ""))
            t += clip.size / 16000 + gap_s
        if parts:
            parts.append(np.zeros(round(gap_s * 16000), np.float32))
            out.append(Item(f"{name}-{speaker}-alone", np.concatenate(parts), turns))
    return out


def items(alternates: bool = False) -> list[Item]:
    """The pyannote sample and the dialogues; with `alternates`, each dialogue again with other voices
    and pauses: ``-alt`` (ALT_VOICES, seed 7; looked at while tuning) and ``-unseen`` (UNSEEN_VOICES,
    seed 21; never used to tune anything)."""
    _, rttm = fetch_speaker_assets()
    sample = Item("pyannote-sample", load_audio(sample_path()), dialogues.read_rttm(rttm))
    out = [sample, *one_voice_parts(sample.name, sample.audio, sample.turns)]
    for name in dialogues.SCRIPTS:
        d = dialogues.build(name)
        out.append(Item(name, d.audio, list(d.turns)))
    if alternates:
        for name in dialogues.SCRIPTS:
            d = dialogues.build(name, seed=7, voices=dialogues.ALT_VOICES)
            out.append(Item(f"{name}-alt", d.audio, list(d.turns)))
        for name in dialogues.SCRIPTS:
            d = dialogues.build(name, seed=21, voices=dialogues.UNSEEN_VOICES)
            out.append(Item(f"{name}-unseen", d.audio, list(d.turns)))
    return out


def overlap_items() -> list[Item]:
    """The overlapped dialogues (``--overlap``): three casts of the 2-, 3- and 4-voice scripts."""
    out = []
    casts = (("", 31, None), ("-alt", 32, dialogues.ALT_VOICES), ("-unseen", 33, dialogues.UNSEEN_VOICES))
    for tag, seed, cast in casts:
        for name in ("dialogue-2", "dialogue-3", "dialogue-4"):
            d = dialogues.build_overlapped(name, seed=seed, voices=cast)
            out.append(Item(f"{d.name}{tag}", d.audio, list(d.turns)))
    return out


def quick_items() -> list[Item]:
    """The quick exchanges (``--quick``): QUICK_SCRIPTS with pauses under the VAD's 0.2 s, in the base
    cast (seed 41), ALT_VOICES (42), UNSEEN_VOICES (43) and the random casts of seeds 5101-5106 (every
    third also as a phone-quality copy)."""
    out = []
    casts = [("", 41, None), ("-alt", 42, dialogues.ALT_VOICES), ("-unseen", 43, dialogues.UNSEEN_VOICES)]
    casts += [(f"-r{seed}", seed, dialogues.random_cast(seed)) for seed in dialogues.QUICK_SEEDS]
    for tag, seed, cast in casts:
        for name in dialogues.QUICK_SCRIPTS:
            d = dialogues.build_quick(name, seed=seed, voices=cast)
            out.append(Item(f"{name}{tag}", d.audio, list(d.turns)))
            if tag.startswith("-r") and seed % 3 == 0:
                out.append(Item(f"{name}{tag}-phone", dialogues.telephone(d.audio, seed), list(d.turns)))
    return out


def overlap_metrics(ref: list[Turn], diar: Diarization) -> dict[str, Any]:
    """Marked overlap against the reference's, in seconds on the 10 ms grid."""
    n = int(np.ceil(max([t.end for t in ref] + [o.end for o in diar.overlaps]) / STEP)) + 1
    count = np.zeros(n, int)
    for t in ref:
        count[round(t.start / STEP):round(t.end / STEP)] += 1
    marked = np.zeros(n, bool)
    for o in diar.overlaps:
        marked[round(o.start / STEP):round(o.end / STEP)] = True
    ref_ov, hit = count >= 2, marked & (count >= 2)
    return {"overlap_ref_s": round(ref_ov.sum() * STEP, 2), "overlap_marked_s": round(marked.sum() * STEP, 2),
            "overlap_right_s": round(hit.sum() * STEP, 2), "overlaps_marked": len(diar.overlaps),
            "overlap_precision": round(hit.sum() / marked.sum(), 3) if marked.any() else None,
            "overlap_recall": round(hit.sum() / ref_ov.sum(), 3) if ref_ov.any() else None}


def asr_windows(audio: np.ndarray) -> list[tuple[float, float]]:
    """Whisper windows as the pipeline plans them: default VAD pieces, grouped while the gap is under
    4 s and the window stays within 30 s (``shared.media.chunking``'s rules)."""
    pieces = speech_pieces(audio, vad_model_path(), VadOptions(), max_piece=30 * 16000)
    out: list[list[float]] = []
    for p in pieces:
        s, e = p.start / 16000, p.end / 16000
        if out and s - out[-1][1] < 4.0 and e - out[-1][0] <= 30.0:
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(a, b) for a, b in out]


def mapping(ref: list[Turn], diar: Diarization) -> dict[str, str]:
    """Hypothesis speaker → reference speaker, the mapping DER uses."""
    rn = sorted({t.speaker for t in ref})
    hn = sorted({t.speaker for t in diar.turns})
    n = int(np.ceil(max([t.end for t in ref] + [t.end for t in diar.turns]) / STEP)) + 1
    ra, ha = np.zeros((len(rn), n), bool), np.zeros((len(hn), n), bool)
    for t in ref:
        ra[rn.index(t.speaker), round(t.start / STEP):round(t.end / STEP)] = True
    for u in diar.turns:
        ha[hn.index(u.speaker), round(u.start / STEP):round(u.end / STEP)] = True
    pairs = best_mapping(ra.astype(float) @ ha.T.astype(float))
    return {hn[h]: rn[r] for r, h in pairs}


def solo_turns(ref: list[Turn]) -> list[tuple[str, float, float]]:
    """(speaker, start, end) stretches where exactly one reference speaker talks (10 ms grid)."""
    n = int(np.ceil(max(t.end for t in ref) / STEP)) + 1
    names = sorted({t.speaker for t in ref})
    act = np.zeros((len(names), n), bool)
    for t in ref:
        act[names.index(t.speaker), round(t.start / STEP):round(t.end / STEP)] = True
    who = np.where(act.sum(0) == 1, np.argmax(act, axis=0), -1)
    out, k = [], 0
    while k < n:
        j = k
        while j < n and who[j] == who[k]:
            j += 1
        if who[k] >= 0:
            out.append((names[who[k]], k * STEP, j * STEP))
        k = j
    return out


def segment_metrics(ref: list[Turn], segs: list[SpeakerSegment], to_ref: dict[str, str]) -> dict[str, Any]:
    def ov(a0: float, a1: float, b0: float, b1: float) -> float:
        return max(0.0, min(a1, b1) - max(a0, b0))

    solo = solo_turns(ref)
    spans = 0
    for s in segs:
        alone: dict[str, float] = {}
        for spk, a, b in solo:
            alone[spk] = alone.get(spk, 0.0) + ov(s.start, s.end, a, b)
        spans += sum(v > SPAN_TOLERANCE_S for v in alone.values()) > 1
    errors: list[float] = []
    owner: dict[int, list[SpeakerSegment]] = {}
    for s in segs:
        k = max(range(len(ref)), key=lambda i: ov(s.start, s.end, ref[i].start, ref[i].end))
        if ov(s.start, s.end, ref[k].start, ref[k].end) > 0:
            owner.setdefault(k, []).append(s)
    for k, t in enumerate(ref):
        if k in owner:
            errors += [abs(owner[k][0].start - t.start), abs(owner[k][-1].end - t.end)]
    edge_words = right = 0
    for s in segs:
        for w in s.words:
            mid = (w.start + w.end) / 2
            for t in ref:
                if t.start <= mid < t.end and (mid - t.start < EDGE_S or t.end - mid < EDGE_S):
                    edge_words += 1
                    right += to_ref.get(s.speaker) == t.speaker
                    break
    return {"segments": len(segs), "spanning_turn_change": spans,
            "boundary_median_s": round(statistics.median(errors), 3) if errors else None,
            "boundary_max_s": round(max(errors), 3) if errors else None,
            "turns_without_segment": len(ref) - len(owner),
            "edge_words": edge_words, "edge_word_accuracy": round(right / edge_words, 4) if edge_words else None}


def cached_windows(it: Item, encoder: SpeakerEncoder, vad: SileroVad, cache: Path | None) -> SpeakerWindows:
    """`it`'s speaker windows, from `cache` when its audio and model match, else embedded (and stored)."""
    if cache is None:
        return embed_chunk(it.audio, 0.0, encoder, vad)
    key = hashlib.sha256(np.ascontiguousarray(it.audio, "<f4").tobytes()).hexdigest()
    path = cache / f"{it.name}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            if str(z["audio_sha256"]) == key and str(z["model_sha256"]) == encoder.package.sha256:
                w = SpeakerWindows.from_dict(json.loads(str(z["windows"])))
                spans = list(zip(w.starts, w.ends, strict=True))
                f0 = frame_pitch(it.audio)
                w = dataclasses.replace(w, pitch=window_pitch(it.audio, spans, f0=f0).astype(np.float32),
                                        timbre=window_timbre(it.audio, spans),
                                        units=chunk_units(it.audio, w.regions, f0=f0))
                return SpeakerWindows.from_dict(w.to_dict())  # as the blob carries them (units in float16)
    windows = embed_chunk(it.audio, 0.0, encoder, vad)
    cache.mkdir(parents=True, exist_ok=True)
    turns = json.dumps([t.__dict__ for t in it.turns])
    np.savez(path, audio=it.audio.astype(np.float32), audio_sha256=key, model_sha256=encoder.package.sha256,
             windows=json.dumps(windows.to_dict()), turns=turns)
    return SpeakerWindows.from_dict(windows.to_dict())


def cached_transcript(it: Item, engine: Any, cache: Path | None) -> tuple[list[Segment], float]:
    """`it`'s Whisper segments (word times on) and the seconds they took, from `cache` when its audio and
    the Whisper model match, else transcribed (and stored)."""
    key = hashlib.sha256(np.ascontiguousarray(it.audio, "<f4").tobytes()).hexdigest()
    model_sha = str(engine.package.sha256)
    path = cache / f"{it.name}.transcript.json" if cache is not None else None
    if path is not None and path.is_file():
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["audio_sha256"] == key and d["model_sha256"] == model_sha:
            return [Segment.from_dict(x) for x in d["segments"]], float(d["transcription_s"])
    t1 = time.perf_counter()
    tr = engine.transcribe(it.audio, asr_windows(it.audio), TranscriptionOptions(language="en", word_timestamps=True))
    asr_s = time.perf_counter() - t1
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"audio_sha256": key, "model_sha256": model_sha, "transcription_s": asr_s,
                                    "segments": [x.to_dict() for x in tr.segments]}), encoding="utf-8")
    return list(tr.segments), asr_s


def run(threads: int, transcribe: bool, count: SpeakerCount | None, alternates: bool = False,
        random_casts: str | None = None, cache: Path | None = None, timbre: bool = True,
        overlap: bool = False, transcripts: Path | None = None, refine: bool = True,
        quick: bool = False) -> dict[str, Any]:
    """`count` None: each file's reference count. `timbre` False: cluster without the spectral envelope
    (the clustering as it was before it existed, for before/after figures); `refine` False: without the
    resegmentation inside speech regions (``shared.diarization.refine``)."""
    encoder = SpeakerEncoder(speaker_model_path(), threads=threads)
    vad = SileroVad(vad_model_path())
    engine = None
    if transcribe:
        from shared.inference.whisper import WhisperEngine

        engine = WhisperEngine(ensure_default_model("int8"), intra_op_threads=threads)
    results = []
    files = (items(alternates) + (random_items(random_casts) if random_casts else [])
             + (overlap_items() if overlap else []) + (quick_items() if quick else []))
    for it in files:
        t0 = time.perf_counter()
        windows = cached_windows(it, encoder, vad, cache)
        if not timbre:
            windows = dataclasses.replace(windows, timbre=None)
        two_voice, pauses = overlap_cues(it.audio, windows.regions)
        n_ref = len({t.speaker for t in it.turns})
        diar = diarize([windows], count or SpeakerCount(n_ref, n_ref), two_voice=two_voice, pauses=pauses,
                       refine=RefineOptions(enabled=refine))
        diar_s = time.perf_counter() - t0
        d = der(it.turns, diar.turns)
        row: dict[str, Any] = {
            "file": it.name, "duration_s": round(it.audio.size / 16000, 2),
            "speakers_ref": len({t.speaker for t in it.turns}), "speakers_found": diar.count,
            "der": d.to_dict(), "der_overlap": der(it.turns, [*diar.turns, *overlap_turns(diar.overlaps)]).to_dict(),
            **overlap_metrics(it.turns, diar),
            "diarization_s": round(diar_s, 3), "windows": int(windows.vectors.shape[0]),
        }
        if engine is not None:
            segments, asr_s = cached_transcript(it, engine, transcripts)
            segs = mark_overlaps(resegment(segments, diar.turns, diar.regions), diar.overlaps)
            row.update(transcription_s=round(asr_s, 3), diarization_pct_of_transcription=round(100 * diar_s / asr_s, 1),
                       **segment_metrics(it.turns, segs, mapping(it.turns, diar)))
        results.append(row)
        print(json.dumps(row), flush=True)
    return {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "load_average": [round(x, 2) for x in os.getloadavg()], "threads": threads, "results": results}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.diarization", description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-transcribe", action="store_true", help="DER and speaker count only")
    p.add_argument("--speakers", default=None, help="auto (default), N, LOW-HIGH or ref (each file's reference count)")
    p.add_argument("--random", choices=("dev", "holdout", "both", "fresh", "fresh2", "fresh3"),
                   help="also the random-cast dialogues")
    p.add_argument("--alternates", action="store_true", help="also the dialogues with other voices and pauses")
    p.add_argument("--overlap", action="store_true", help="also the dialogues with overlapped turns and back-channels")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--windows-cache", type=Path, help="keep and reuse each file's speaker windows here")
    p.add_argument("--transcript-cache", type=Path, help="keep and reuse each file's Whisper segments here "
                   "(the transcription time reported is the one measured when it was made)")
    p.add_argument("--quick", action="store_true", help="also the quick exchanges (turn changes inside speech regions)")
    p.add_argument("--no-refine", action="store_true", help="without the resegmentation inside speech regions")
    p.add_argument("--no-timbre", action="store_true", help="cluster without the spectral-envelope second opinion")
    args = p.parse_args(argv)
    count = None if args.speakers == "ref" else SpeakerCount.parse(args.speakers)
    out = run(args.threads, not args.no_transcribe, count, args.alternates, args.random, args.windows_cache,
              not args.no_timbre, args.overlap, args.transcript_cache, not args.no_refine, args.quick)
    rows = out["results"]
    right = sum(r["speakers_found"] == r["speakers_ref"] for r in rows)
    mean_der = 100 * statistics.mean(r["der"]["der"] for r in rows)
    print(f"speaker count right on {right} of {len(rows)}; mean DER {mean_der:.1f} %")
    marked = sum(r["overlap_marked_s"] for r in rows)
    hit = sum(r["overlap_right_s"] for r in rows)
    ref_ov = sum(r["overlap_ref_s"] for r in rows)
    false_s = sum(r["overlap_marked_s"] for r in rows if not r["overlap_ref_s"])
    print(f"overlap: {marked:.2f} s marked, {hit:.2f} s of it real ({100 * hit / max(marked, 1e-9):.0f} % precision), "
          f"{100 * hit / max(ref_ov, 1e-9):.0f} % of {ref_ov:.2f} s reference overlap found; "
          f"false overlap on files without any: {false_s:.2f} s")
    print(f"load average at the end: {out['load_average']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
