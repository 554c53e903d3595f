"""The translation guards and the per-segment translate windows (shared.translation_guard, translation_routes).

The Whisper texts below are what Whisper base wrote on this project's espeak-ng clips (see
bench/translation_guard.py); the real-model test beside this file produces them again.
"""

from __future__ import annotations

import itertools

import pytest

from shared.domain.transcript import Segment, TranscriptionOptions
from shared.translation_guard import (
    IMPLAUSIBLE_LENGTH,
    LOW_CONFIDENCE,
    NO_ROUTE,
    NO_SPEECH,
    REPETITION,
    SAME_LANGUAGE,
    STOCK_PHRASE,
    UNCLEAR_SOURCE,
    Passage,
    Window,
    align,
    check,
    in_window,
    length_ratio,
    speech_windows,
    stock_phrase,
)
from shared.translation_routes import (
    TEXT_MODEL,
    WHISPER_TRANSLATE,
    no_route,
    plan_parts,
    route_of,
    translation_document,
)

OPTS = TranscriptionOptions()
FRENCH = "Le suspect a été conduit au commissariat à dix heures du soir. Il a refusé de répondre aux questions."
OUTRO = ("If you want to see more of this video, please subscribe to the channel and press the bell icon "
         "to not miss any of my new videos.")


def passage(text: str, source: str = FRENCH, lp: float | None = -0.3, ns: float | None = 0.05,
            language: str = "fr") -> Passage:
    return Passage(0.0, 6.0, source, language, text, WHISPER_TRANSLATE, lp, ns)


def test_a_faithful_translation_passes() -> None:
    text = "The suspect was taken to the police station at ten in the evening. He refused to answer questions."
    assert check(passage(text), OPTS) is None


@pytest.mark.parametrize("text", [
    OUTRO,
    "I hope you enjoyed this video, and if you liked it, please subscribe to the channel, bye bye!",
    "Thanks for watching!",
    "Subtitles by the Amara.org community",
])
def test_stock_phrases_are_refused_when_the_source_says_nothing_like_them(text: str) -> None:
    assert stock_phrase(FRENCH, text) is not None
    assert check(passage(text), OPTS) == STOCK_PHRASE


def test_a_stock_phrase_the_source_really_says_is_kept() -> None:
    source = "Il m'a dit de m'abonner à sa chaîne, et il a posté la vidéo hier."
    text = "He told me to subscribe to his channel, and he posted the video yesterday."
    assert stock_phrase(source, text) is None and check(passage(text, source), OPTS) is None


def test_bare_thanks_is_kept_only_when_someone_thanked() -> None:
    assert check(passage("Thank you.", "Merci beaucoup."), OPTS) is None
    assert check(passage("Thank you.", "Oui."), OPTS) == STOCK_PHRASE


def test_whisper_scores_guard_like_transcription() -> None:
    text = "The suspect was taken to the police station at ten in the evening."
    assert check(passage(text, lp=-1.2, ns=0.7), OPTS) == NO_SPEECH
    assert check(passage(text, lp=-1.2, ns=0.1), OPTS) == LOW_CONFIDENCE
    assert check(passage("and the suspect " * 12), OPTS) == REPETITION
    # short loops the compression ratio cannot see, unless the source repeats itself too
    assert check(passage("I'm tired, I'm tired, I'm tired, I'm tired. Bye bye."), OPTS) == REPETITION
    assert check(passage("No, no, no, no, I was not there.", "Non, non, non, non, je n'étais pas là."), OPTS) is None
    # the transcript of the window could not be read: nothing vouches for its translation
    unclear = Passage(0.0, 6.0, FRENCH, "fr", text, WHISPER_TRANSLATE, -0.3, 0.05, source_logprob=-1.2)
    assert check(unclear, OPTS) == UNCLEAR_SOURCE
    # a text model has no scores: only the text guards apply
    assert check(Passage(0, 6, FRENCH, "fr", text, TEXT_MODEL), OPTS) is None


def test_length_must_be_plausible_against_the_source() -> None:
    assert check(passage("Yes.", "Oui."), OPTS) is None  # short answers pass (slack)
    assert check(passage("He refused.", FRENCH * 2), OPTS) == IMPLAUSIBLE_LENGTH
    long = ("The suspect was taken to the police station at ten in the evening by two officers, "
            "who had been waiting outside his flat since the early afternoon.")
    assert check(passage(long, "Il a refusé."), OPTS) == IMPLAUSIBLE_LENGTH
    # dense scripts are weighted: nine Chinese characters are a whole English sentence
    assert 0.8 < length_ratio("我今天早上九点到的", "zh", "I arrived at nine o'clock this morning.") < 1.5


def seg(start: float, end: float, text: str = " x", lp: float = -0.2, ns: float = 0.01) -> Segment:
    return Segment(start, end, text, "fr", lp, ns, 1.0)


def test_windows_group_consecutive_segments_and_never_overlap() -> None:
    segs = [seg(0.5, 2.0), seg(2.1, 4.0), seg(6.5, 8.0), seg(8.2, 40.0)]
    windows = speech_windows(segs, 40.1)
    assert [(w.start, w.end, w.members) for w in windows] == [
        (0.3, 4.2, (0, 1)), (6.3, 8.2, (2,)), (8.2, 40.1, (3,))]  # a 2.5 s gap and the 28 s limit cut
    assert all(a.end <= b.start for a, b in itertools.pairwise(windows))


def test_translated_segments_are_aligned_onto_the_transcript_segments() -> None:
    source = [seg(0.0, 2.0), seg(2.0, 4.0), seg(4.0, 6.0), seg(6.0, 8.0)]
    window = Window(0.0, 8.0, (0, 1, 2, 3))
    translated = [seg(0.0, 1.9, " Hello", -0.1), seg(2.1, 5.8, " one sentence for two.", -0.5, 0.3)]
    got = align(window, source, translated, looped=False)
    assert [(a.first, a.last, a.text) for a in got] == [(0, 0, "Hello"), (1, 2, "one sentence for two."),
                                                        (3, 3, "")]
    assert got[1].no_speech_prob == 0.3 and got[1].avg_logprob == -0.5 and got[2].avg_logprob is None
    parts = in_window([Window(0, 8, (0,)), Window(9, 12, (1,))], [seg(0.5, 2), seg(9.5, 11), seg(12.5, 13)])
    assert [len(p) for p in parts] == [1, 2]


def test_routes_prefer_the_text_model_and_parts_cover_every_segment() -> None:
    supports = lambda src, tgt: src == "pl" and tgt == "en"  # noqa: E731
    assert route_of("pl", "en", supports) == TEXT_MODEL
    assert route_of("fr", "en", supports) == WHISPER_TRANSLATE
    assert route_of("fr", "de", supports) is None
    assert route_of("en", "en", supports) is None  # already in the target language
    mixed = [{"start": 0.0, "end": 1.0, "language": "en"}, {"start": 1.0, "end": 2.0, "language": "fr"}]
    assert [o["reason"] for o in no_route(mixed, [None, None], "en")] == [SAME_LANGUAGE, NO_ROUTE]
    segments = [{"start": 1.0, "end": 2.0, "language": "pl"}, {"start": 3.0, "end": 4.0, "language": "fr"},
                {"start": 301.0, "end": 303.0, "language": "fr"}]
    chunks = [{"index": 0, "start_s": 0.0, "end_s": 300.0}, {"index": 1, "start_s": 300.0, "end_s": 600.0}]
    parts = plan_parts(segments, [route_of(s["language"], "en", supports) for s in segments], chunks)
    assert parts == [{"route": TEXT_MODEL, "language": "pl", "ids": [0]},
                     {"route": WHISPER_TRANSLATE, "language": "fr", "chunk": 0, "ids": [1]},
                     {"route": WHISPER_TRANSLATE, "language": "fr", "chunk": 1, "ids": [2]}]


def test_translation_document_withholds_text_and_keeps_times() -> None:
    outcomes = [
        {"source_id": 2, "start": 3.0, "end": 9.0, "route": WHISPER_TRANSLATE, "text": OUTRO, "reason": STOCK_PHRASE},
        {"source_id": 1, "start": 0.0, "end": 3.0, "route": WHISPER_TRANSLATE, "text": "Yes.", "reason": None},
    ]
    doc = translation_document("en", WHISPER_TRANSLATE, {"name": "w", "sha256": "0" * 64}, outcomes)
    assert doc["segments"] == [{"start": 0.0, "end": 3.0, "text": "Yes.", "source_id": 1, "route": WHISPER_TRANSLATE}]
    assert doc["skipped"] == [{"start": 3.0, "end": 9.0, "reason": STOCK_PHRASE, "route": WHISPER_TRANSLATE}]
    assert OUTRO not in str(doc)
