"""Translation of a merged transcript, passage by passage: the route of each segment, the work parts
that fan out, and Whisper's translate task run window by window on the transcript's own segments.

Invariants: every transcript segment is covered by exactly one outcome (a shown passage or a
withheld one with its reason), and a passage's times are those of the segment(s) it translates, so
the translation sits beside the original line(s).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from shared.domain.transcript import Segment, TranscriptionOptions, TranscriptionResult
from shared.translation_guard import (
    NO_ROUTE,
    NO_SPEECH,
    REPETITION,
    SAME_LANGUAGE,
    Passage,
    align,
    check,
    in_window,
    speech_windows,
)
from shared.translation_verify import UNVERIFIED, cross_check, disagreement, second_opinion_options

TEXT_MODEL = "text-model"
WHISPER_TRANSLATE = "whisper-translate"
TEXT_BATCH = 32

Supports = Callable[[str, str], bool]
Transcribe = Callable[[list[tuple[float, float]], TranscriptionOptions], TranscriptionResult]
CrossCheck = Callable[..., "str | None"]  # (source_text, language, english, source_words) -> reason


def route_of(language: str, target: str, text_model_supports: Supports | None) -> str | None:
    """A text model where it supports the pair, else Whisper's translate task for English, else none
    (also none for a segment already in the target language: its original is what a reader needs)."""
    if language == target:
        return None
    if text_model_supports is not None and text_model_supports(language, target):
        return TEXT_MODEL
    if target == "en":
        return WHISPER_TRANSLATE
    return None


def plan_parts(segments: Sequence[dict[str, Any]], routes: Sequence[str | None],
               chunks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Work parts: text-model batches of one language, and Whisper windows grouped by chunk and language.

    ``chunks`` are ``PlannedChunk`` dicts (``index``, ``start_s``, ``end_s``, optional ``track`` and
    ``owners``); a segment belongs to the chunk holding its midpoint (one holding its track when both
    name one).
    Each part lists the 0-based segment indices it translates.
    """
    text: dict[str, list[int]] = {}
    speech: dict[tuple[int, str], list[int]] = {}
    for i, (seg, route) in enumerate(zip(segments, routes, strict=True)):
        if route == TEXT_MODEL:
            text.setdefault(seg["language"], []).append(i)
        elif route == WHISPER_TRANSLATE:
            speech.setdefault((_chunk_of(seg, chunks), seg["language"]), []).append(i)
    parts: list[dict[str, Any]] = []
    for language, ids in sorted(text.items()):
        parts += [{"route": TEXT_MODEL, "language": language, "ids": ids[k:k + TEXT_BATCH]}
                  for k in range(0, len(ids), TEXT_BATCH)]
    parts += [{"route": WHISPER_TRANSLATE, "language": language, "chunk": chunk, "ids": ids}
              for (chunk, language), ids in sorted(speech.items())]
    return parts


def _tracks_of(chunk: dict[str, Any]) -> set[int]:
    """The tracks a chunk holds: its owners' for a conversation mixed from several tracks."""
    return {int(o[2]) for o in chunk.get("owners") or ()} or {int(chunk["track"])}


def _chunk_of(seg: dict[str, Any], chunks: Sequence[dict[str, Any]]) -> int:
    mid = (float(seg["start"]) + float(seg["end"])) / 2
    track = seg.get("track")
    candidates = [c for c in chunks if track is None or c.get("track") is None or track in _tracks_of(c)]
    candidates = candidates or list(chunks)
    if not candidates:
        raise ValueError("the transcript has segments but the plan has no chunks")

    def distance(c: dict[str, Any]) -> float:
        lo, hi = float(c["start_s"]), float(c["end_s"])
        return 0.0 if lo <= mid <= hi else min(abs(mid - lo), abs(mid - hi))

    return int(min(candidates, key=lambda c: (distance(c), int(c["index"])))["index"])


def outcome(seg: dict[str, Any], index: int, route: str | None, text: str | None, reason: str | None) -> dict[str, Any]:
    """What happened to one segment: ``text`` shown when ``reason`` is None, else withheld for ``reason``
    (the withheld text stays in the job's work blobs only, never in the translation document)."""
    return {"source_id": index + 1, "start": seg["start"], "end": seg["end"], "route": route,
            "text": text, "reason": reason}


def no_route(segments: Sequence[dict[str, Any]], routes: Sequence[str | None], target: str) -> list[dict[str, Any]]:
    """Outcomes of the segments no route translates: already in ``target``, or no model for their language."""
    return [outcome(s, i, None, None, SAME_LANGUAGE if s["language"] == target else NO_ROUTE)
            for i, (s, r) in enumerate(zip(segments, routes, strict=True)) if r is None]


def source_words(segments: Sequence[dict[str, Any]], ids: Sequence[int]) -> list[tuple[str, float]] | None:
    """The words of ``segments[ids]`` with Whisper's probability of each, for the cross-checks; None
    when a segment has none (the transcript was made without word timestamps)."""
    words = [segments[i].get("words") for i in ids]
    if any(w is None for w in words):
        return None
    return [(str(w["text"]).strip(), float(w["probability"])) for ws in words for w in ws or ()]


def text_outcomes(segments: Sequence[dict[str, Any]], ids: Sequence[int], texts: Sequence[str], language: str,
                  options: TranscriptionOptions) -> list[dict[str, Any]]:
    """A text model's translations of ``segments[ids]``, each checked by the text guards and the cross-checks
    against its source segment (negation, numbers)."""
    out = []
    for i, text in zip(ids, texts, strict=True):
        seg = segments[i]
        passage = Passage(seg["start"], seg["end"], seg["text"], language, text, TEXT_MODEL,
                          source_logprob=seg.get("avg_logprob"))
        reason = check(passage, options) or cross_check(seg["text"], language, text, source_words(segments, [i]))
        out.append(outcome(seg, i, TEXT_MODEL, text, reason))
    return out


def whisper_outcomes(segments: Sequence[dict[str, Any]], ids: Sequence[int], offset_s: float, duration_s: float,
                     transcribe: Transcribe, options: TranscriptionOptions,
                     second_opinion: bool = True, verify: CrossCheck = cross_check) -> list[dict[str, Any]]:
    """Whisper's translate task on ``segments[ids]`` (consecutive, one language), window by window,
    each translated passage aligned back onto the transcript segments it covers and checked.

    ``transcribe(windows, options)`` decodes windows given in seconds from ``offset_s`` (the chunk's
    start) over audio lasting ``duration_s``; ``options`` carry ``task="translate"`` and the language.
    A passage covering several segments has their joint span and the first one's ``source_id``.
    Every window holding a passage that passes the guards and the cross-checks is decoded a second
    time (``second_opinion_options``); a passage the second decode does not vouch for is
    ``unverified``. ``second`` (work blobs only) holds that decode's text for the passage. Without
    ``second_opinion`` (the decode is itself a second opinion, see ``corroborate``) it is not run.
    ``verify`` is the cross-check (a benchmark passes one that checks nothing, to keep every decode).
    """
    local = [Segment.from_dict({**segments[i], "words": None}).shifted(-offset_s) for i in ids]
    windows = speech_windows(local, duration_s)
    result = transcribe([(w.start, w.end) for w in windows], options)
    pending: list[tuple[int, Any, str, str | None]] = []  # (window, aligned passage, source text, reason)
    for k, (window, translated) in enumerate(zip(windows, in_window(windows, result.segments), strict=True)):
        for got in align(window, local, translated, _looped(window, result.skipped)):
            source_text = " ".join(segments[i]["text"].strip() for i in ids[got.first:got.last + 1])
            if got.looped and not got.text:
                reason: str | None = REPETITION
            elif not got.text:
                reason = NO_SPEECH
            else:
                reason = check(Passage(local[got.first].start, local[got.last].end, source_text,
                                       local[got.first].language, got.text, WHISPER_TRANSLATE, got.avg_logprob,
                                       got.no_speech_prob, min(s.avg_logprob for s in local[got.first:got.last + 1])),
                               options) or verify(source_text, local[got.first].language, got.text,
                                                  source_words(segments, ids[got.first:got.last + 1]))
            pending.append((k, got, source_text, reason))
    wanted = sorted({k for k, _, _, r in pending if r is None}) if second_opinion else []
    seconds = _second_opinion(windows, local, wanted, transcribe, second_opinion_options(options))
    out = []
    for k, got, source_text, reason in pending:
        second = None
        if k in seconds:
            second = " ".join(a.text for a in seconds[k] if a.first <= got.last and a.last >= got.first and a.text)
            if reason is None and disagreement(got.text, second, source_text=source_text):
                reason = UNVERIFIED
        first, last = ids[got.first], ids[got.last]
        span = {**segments[first], "end": segments[last]["end"]}
        out.append({**outcome(span, first, WHISPER_TRANSLATE, got.text, reason), "covers": last - first + 1,
                    "avg_logprob": got.avg_logprob, "no_speech_prob": got.no_speech_prob, "second": second})
    return out


def _looped(window: Any, skipped: Sequence[Any]) -> bool:
    return any(float(s) < window.end and float(e) > window.start for s, e, *_ in skipped)


def _second_opinion(windows: Sequence[Any], local: Sequence[Segment], wanted: Sequence[int], transcribe: Transcribe,
                    options: TranscriptionOptions) -> dict[int, list[Any]]:
    """The second decode of the windows ``wanted`` (indices), aligned like the first: window → passages."""
    if not wanted:
        return {}
    chosen = [windows[k] for k in wanted]
    result = transcribe([(w.start, w.end) for w in chosen], options)
    return {k: align(w, local, got, _looped(w, result.skipped))
            for k, w, got in zip(wanted, chosen, in_window(chosen, result.segments), strict=True)}


ChunkTranscribe = Callable[[int, list[tuple[float, float]], TranscriptionOptions], TranscriptionResult]


def whisper_views(segments: Sequence[dict[str, Any]], ids: Sequence[int], chunks: Sequence[dict[str, Any]],
                  transcribe: ChunkTranscribe, options: TranscriptionOptions) -> list[dict[str, Any]]:
    """Whisper's translate task on ``segments[ids]`` (one language), chunk by chunk, without its own
    second opinion: the independent reading a text model's passages are compared with.

    ``transcribe(chunk_index, windows, options)`` decodes windows of that chunk (``PlannedChunk`` dicts)."""
    by_chunk: dict[int, list[int]] = {}
    for i in ids:
        by_chunk.setdefault(_chunk_of(segments[i], chunks), []).append(i)
    spans = {int(c["index"]): (float(c["start_s"]), float(c["end_s"])) for c in chunks}
    out: list[dict[str, Any]] = []
    for index, group in sorted(by_chunk.items()):
        lo, hi = spans[index]
        out += whisper_outcomes(segments, group, lo, hi - lo, partial(transcribe, index), options,
                                second_opinion=False)
    return out


def corroborate(outcomes: Sequence[dict[str, Any]], views: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Text-model passages kept only where Whisper's own translation of the same segment (``views``,
    from ``whisper_views``) agrees with them (``disagreement``); the others become ``unverified``.

    The text model translates the transcript, so a misheard word is translated faithfully into a
    wrong one; Whisper's translate task reads the audio. ``second`` keeps Whisper's text (work blobs only)."""
    covering: dict[int, str] = {}
    for v in views:
        for sid in range(v["source_id"], v["source_id"] + v.get("covers", 1)):
            covering[sid] = v["text"] or ""
    out = []
    for o in outcomes:
        second = covering.get(o["source_id"])
        reason = o["reason"]
        if reason is None and (second is None or disagreement(o["text"] or "", second)):
            reason = UNVERIFIED
        out.append({**o, "reason": reason, "second": second})
    return out


def translation_document(target: str, route: str, model: dict[str, str],
                         outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The translation block: shown passages in ``segments``, withheld ones in ``skipped``, time order."""
    ordered = sorted(outcomes, key=lambda o: (o["start"], o["source_id"]))
    return {
        "language": target, "route": route, "model": model,
        "segments": [{"start": o["start"], "end": o["end"], "text": o["text"], "source_id": o["source_id"],
                      "route": o["route"]} for o in ordered if o["reason"] is None],
        "skipped": [{"start": o["start"], "end": o["end"], "reason": o["reason"], "route": o["route"]}
                    for o in ordered if o["reason"] is not None],
    }
