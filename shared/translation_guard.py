"""Checks every machine-translated passage before it is shown as evidence.

A passage is one transcript segment's translation (text model or Whisper's translate task on that
segment's window). It is withheld, never repaired, when it fails one of these guards; the reason
codes are written into ``transcript.json`` ``translation.skipped``:

* ``no_speech``: Whisper's no-speech probability is above the threshold while its average
  log-probability is not above the log-prob threshold (the transcription guard), or Whisper wrote
  nothing for a window where the transcript has speech.
* ``repetition``: the passage's compression ratio is above the threshold (a repetition loop).
* ``repetition`` also: a phrase of two words or more said three times or more where the source
  says nothing three times (Whisper's short loops, "I'm sorry, I'm sorry, I'm sorry", which are too
  short for the compression ratio to see).
* ``low_confidence``: Whisper's mean token log-probability is below the log-prob threshold: the
  decode that faster-whisper would call failed and retry at a higher temperature. A translation has
  no second opinion to fall back on, so it is not shown.
* ``unclear_source``: the transcript of the same window is itself below the log-prob threshold:
  Whisper could not read the speech, so nothing can vouch for a translation of it (the original
  stays in the transcript, for a listener to check).
* ``implausible_length``: the passage is far longer or shorter than the source-language transcript
  of the same window (see ``length_ratio``).
* ``stock_phrase``: the passage holds one of Whisper's stock phrases (``STOCK_PHRASES``) and the
  source transcript has nothing like it.
* ``unverified``: a second opinion (``shared.translation_verify``) contradicts a passage that passed
  the guards above: the source's negation or numbers are not in it, it speaks in a person, a plural
  or a third-person pronoun the source cannot express (``shared.translation_morphology``), loses a
  past the source says (``shared.translation_tense``), names a noun no source word can say
  (``shared.translation_lexicon``), or a second, independent decode of the same window does not
  agree with it (Whisper's translate task only).

Text-model passages carry no Whisper scores of their own: the text guards and ``unclear_source`` apply.
Deterministic: the same passage and thresholds always give the same decision.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain.transcript import Segment, TranscriptionOptions
from shared.translation_verify import UNVERIFIED

NO_SPEECH = "no_speech"
REPETITION = "repetition"
LOW_CONFIDENCE = "low_confidence"
IMPLAUSIBLE_LENGTH = "implausible_length"
STOCK_PHRASE = "stock_phrase"
NO_ROUTE = "no_route"  # no configured model translates this segment's language into the target
SAME_LANGUAGE = "same_language"  # the segment is already in the target language: nothing to translate
UNCLEAR_SOURCE = "unclear_source"
REASONS = (NO_SPEECH, REPETITION, LOW_CONFIDENCE, UNCLEAR_SOURCE, IMPLAUSIBLE_LENGTH, STOCK_PHRASE, UNVERIFIED,
           NO_ROUTE, SAME_LANGUAGE)
MAX_REPEATS = 2  # a two-word phrase may come back this often

# Letters of the target (English) per letter of the source, for scripts that pack far more meaning
# into one character than the Latin alphabet. Unlisted languages count 1.0 (alphabetic scripts).
DENSITY = {"zh": 3.0, "yue": 3.0, "ja": 2.5, "ko": 2.0}
LENGTH_SLACK = 12  # letters added to both sides, so short answers ("Oui." → "Yes.") always pass
MIN_LENGTH_RATIO = 0.45
MAX_LENGTH_RATIO = 2.0
PAD_S = 0.2  # a translate window reaches this far past its segments, never into the next window


@dataclass(frozen=True)
class StockPhrase:
    """One of Whisper's stock phrases: English patterns, and the source-language cues that make it real."""

    name: str
    patterns: tuple[str, ...]
    cues: tuple[str, ...]  # lower-case stems; any of them in the source transcript lets the phrase through


# Whisper's training subtitles end with channel outros and subtitle credits; on speech it cannot
# read (or on silence) it writes them instead. Collected from openai/whisper discussions #679 and
# #928 (reported outputs in English, French, Italian, Dutch, Danish, Polish...), from Koenecke et
# al., "Careless Whisper" (FAccT 2024), and from what Whisper base wrote on this project's
# benchmark clips (docs/benchmarks.md). Cues cover fr, de, es, it, pt, ro, pl, nl and English.
STOCK_PHRASES: tuple[StockPhrase, ...] = (
    StockPhrase(
        "subscribe",
        (r"\bsubscri\w*", r"\bunsubscri\w*", r"\bbell icon\b", r"\bnotification bell\b", r"\bhit the bell\b",
         r"\blike (and|&) (share|subscribe)\b", r"\bmy channel\b", r"\bthe channel\b", r"\bour channel\b"),
        ("subscri", "abonn", "suscri", "iscriv", "inscrev", "inscrie", "abona", "subskryb", "kanał", "kanal",
         "canal", "chaîne", "chaine", "channel", "clochette", "glocke"),
    ),
    StockPhrase(
        "video outro",
        (r"\b(thanks?|thank you)( \w+)? for (watching|viewing|listening)\b", r"\bnext video\b",
         r"\b(this|the|my|our|new) videos?\b", r"\benjoy(ed)? (this|the) (video|episode)\b",
         r"\bsee you (in the next|next time|in the next one)\b", r"\bnext episode\b",
         r"\bdon'?t forget to (like|subscribe|comment|share)\b", r"\bleave a (like|comment)\b",
         r"\bcomment (section|below)\b"),
        ("vidéo", "video", "vídeo", "wideo", "film", "épisode", "episod", "épisode", "folge", "odcin",
         "regard", "guard", "assist", "obejrz", "ansehen", "zuschau", "urmări", "vizion", "kijk"),
    ),
    StockPhrase(
        "subtitle credit",
        (r"\bsubtitl\w*", r"\bcaption(s|ed|ing)?\b", r"\bamara\b", r"\btranscri(bed|ption) by\b",
         r"\btranslat(ed|ion) by\b", r"\bedited by\b", r"\bvideo editing\b"),
        ("sous-titr", "untertitel", "subtít", "subtit", "sottotitol", "legend", "napis", "ondertit", "amara",
         "transcri", "tradu", "übersetz", "tłumacz", "traduc"),
    ),
    StockPhrase(
        "bare thanks",  # "Thank you." alone: Whisper's most common output for a window it cannot read
        (r"^\W*(thank you|thanks)( (very|so) much)?( (all|everyone|guys))?\W*$",),
        ("merci", "danke", "dank", "gracias", "grazie", "obrigad", "mulțum", "multum", "mersi", "dzięk", "dziek",
         "thank", "bedank", "спасибо", "дякую"),
    ),
)
_STOCK = tuple((p, tuple(re.compile(x, re.IGNORECASE) for x in p.patterns)) for p in STOCK_PHRASES)


@dataclass(frozen=True)
class Passage:
    """One translated passage beside the source-language transcript of the same window."""

    start: float
    end: float
    source_text: str
    source_language: str
    text: str
    route: str
    avg_logprob: float | None = None  # Whisper's scores; None for a text model
    no_speech_prob: float | None = None
    source_logprob: float | None = None  # the lowest avg_logprob of the transcript segments translated


def compression_ratio(text: str) -> float:
    """UTF-8 length over zlib-compressed length: the measure the transcription guard uses."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def letters(text: str) -> int:
    """Letters and digits in ``text`` (spaces, punctuation and symbols do not count)."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def length_ratio(source_text: str, source_language: str, text: str) -> float:
    """The passage's letters over the source's, density-weighted, with ``LENGTH_SLACK`` on both sides.

    1.0 means as long as expected; the passage is plausible within ``[MIN_LENGTH_RATIO, MAX_LENGTH_RATIO]``.
    """
    density = DENSITY.get(source_language.split("-")[0].lower(), 1.0)
    return (letters(text) + LENGTH_SLACK) / (letters(source_text) * density + LENGTH_SLACK)


_TOKEN = re.compile(r"\w+")


def repeats(text: str, n: int = 2) -> int:
    """How often the most frequent run of ``n`` words comes back in ``text`` (case folded)."""
    words = _TOKEN.findall(text.lower())
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - n + 1):
        key = tuple(words[i:i + n])
        counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def stock_phrase(source_text: str, text: str) -> str | None:
    """The name of a stock phrase in ``text`` that ``source_text`` has nothing like, else None."""
    source = _fold(source_text)
    for phrase, patterns in _STOCK:
        if any(p.search(text) for p in patterns) and not any(c in source for c in phrase.cues):
            return phrase.name
    return None


def check(passage: Passage, options: TranscriptionOptions) -> str | None:
    """The reason to withhold ``passage`` (one of ``REASONS``), or None when it may be shown."""
    text = passage.text.strip()
    if not text:
        return NO_SPEECH
    if stock_phrase(passage.source_text, text) is not None:
        return STOCK_PHRASE
    lp, ns = passage.avg_logprob, passage.no_speech_prob
    if ns is not None and lp is not None and ns > options.no_speech_threshold and lp <= options.log_prob_threshold:
        return NO_SPEECH
    if compression_ratio(text) > options.compression_ratio_threshold:
        return REPETITION
    if repeats(text) > MAX_REPEATS and repeats(passage.source_text) <= MAX_REPEATS:
        return REPETITION
    if lp is not None and lp < options.log_prob_threshold:
        return LOW_CONFIDENCE
    if passage.source_logprob is not None and passage.source_logprob < options.log_prob_threshold:
        return UNCLEAR_SOURCE
    ratio = length_ratio(passage.source_text, passage.source_language, text)
    if not MIN_LENGTH_RATIO <= ratio <= MAX_LENGTH_RATIO:
        return IMPLAUSIBLE_LENGTH
    return None


# -- Whisper's translate task, window by window ---------------------------------------------------
# Measured (docs/benchmarks.md): one 30 s decode per transcript segment makes Whisper base invent on
# short windows ("I'm sorry, I'm sorry", "see you in the next video"), so the translate windows group
# consecutive segments as transcription does, and the translated segments are aligned back onto them.
MAX_WINDOW_S = 28.0
MAX_GAP_S = 2.0
MIN_SHARE = 0.3  # a translated segment covers a transcript segment when it overlaps this share of it


@dataclass(frozen=True)
class Window:
    """A translate window: its span and the (indices of the) transcript segments inside it."""

    start: float
    end: float
    members: tuple[int, ...]


def speech_windows(segments: Sequence[Segment], duration: float) -> list[Window]:
    """Consecutive segments grouped into windows of at most ``MAX_WINDOW_S``, cut at gaps of ``MAX_GAP_S``,
    padded by up to ``PAD_S`` but never into a neighbour window nor outside ``[0, duration]``."""
    groups: list[list[int]] = []
    for i, s in enumerate(segments):
        if groups:
            first, last = segments[groups[-1][0]], segments[groups[-1][-1]]
            if s.start - last.end < MAX_GAP_S and s.end - first.start <= MAX_WINDOW_S:
                groups[-1].append(i)
                continue
        groups.append([i])
    out: list[Window] = []
    for k, g in enumerate(groups):
        lo, hi = segments[g[0]].start, segments[g[-1]].end
        prev_end = out[-1].end if out else 0.0
        next_start = segments[groups[k + 1][0]].start if k + 1 < len(groups) else duration
        start = max(prev_end, lo - PAD_S, 0.0) if lo >= prev_end else lo
        end = min(next_start, hi + PAD_S, duration) if hi <= next_start else hi
        out.append(Window(round(start, 3), round(max(end, start), 3), tuple(g)))
    return out


@dataclass(frozen=True)
class Aligned:
    """Translated text for transcript segments ``first..last`` of one window, with Whisper's scores."""

    first: int
    last: int
    text: str
    avg_logprob: float | None
    no_speech_prob: float | None
    looped: bool  # the engine refused the window's text as a repetition loop


def _overlap(a: Segment, b: Segment) -> float:
    return min(a.end, b.end) - max(a.start, b.start)


def align(window: Window, source: Sequence[Segment], translated: Sequence[Segment], looped: bool) -> list[Aligned]:
    """The window's translated segments placed beside the transcript segments they cover.

    A translated segment covers each transcript segment it overlaps by ``MIN_SHARE`` of that
    segment's length (else the one it overlaps most, else the nearest); transcript segments covered
    by one translated segment form one passage. A segment nothing covers gets an empty passage.
    Every member of the window is in exactly one passage, in order.
    """
    members = list(window.members)
    spans: list[list[Any]] = []  # [first, last, [translated segments]] in member positions
    for t in sorted(translated, key=lambda x: (x.start, x.end)):
        ov = [_overlap(t, source[m]) for m in members]
        hit = [k for k, m in enumerate(members) if ov[k] >= MIN_SHARE * max(source[m].end - source[m].start, 1e-3)]
        if not hit:
            mid = (t.start + t.end) / 2
            best = max(range(len(members)), key=lambda k: (ov[k], -abs((source[members[k]].start
                                                                        + source[members[k]].end) / 2 - mid)))
            hit = [best]
        spans.append([min(hit), max(hit), [t]])
    spans.sort(key=lambda x: x[0])
    merged: list[list[Any]] = []
    for a, b, ts in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2] += ts
        else:
            merged.append([a, b, ts])
    covered = {k for a, b, _ in merged for k in range(a, b + 1)}
    merged += [[k, k, []] for k in range(len(members)) if k not in covered]
    out = []
    for a, b, ts in sorted(merged, key=lambda x: x[0]):
        ts = sorted(ts, key=lambda x: (x.start, x.end))
        text = " ".join(t.text.strip() for t in ts if t.text.strip())
        if not text:
            out.append(Aligned(members[a], members[b], "", None, None, looped))
            continue
        weights = [max(letters(t.text), 1) for t in ts]
        lp = sum(w * t.avg_logprob for w, t in zip(weights, ts, strict=True)) / sum(weights)
        out.append(Aligned(members[a], members[b], text, round(lp, 4), max(t.no_speech_prob for t in ts), looped))
    return out


def in_window(windows: Sequence[Window], segments: Sequence[Segment]) -> list[list[Segment]]:
    """The translate task's segments of each window (the window holding the midpoint, else the nearest)."""
    parts: list[list[Segment]] = [[] for _ in windows]
    for seg in segments:
        mid = (seg.start + seg.end) / 2
        k = min(range(len(windows)), key=lambda i: (0.0 if windows[i].start <= mid <= windows[i].end
                                                    else min(abs(mid - windows[i].start), abs(mid - windows[i].end)),
                                                    i))
        parts[k].append(seg)
    return parts
