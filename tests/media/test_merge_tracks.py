"""Merging the segments of several tracks: one conversation in time order, a voice heard by two
microphones kept once."""

from __future__ import annotations

from shared.domain import Segment
from shared.merge import ChunkSegments, merge_chunks


def seg(start: float, end: float, text: str, track: int, logprob: float = -0.3) -> Segment:
    return Segment(start, end, text, "en", logprob, 0.01, 1.2, track=track)


def test_tracks_interleave_in_time_order_and_keep_their_track() -> None:
    question = ChunkSegments(0, 0.0, (seg(0.0, 2.0, " Where were you?", 1), seg(6.0, 8.0, " Who saw you?", 1)))
    answer = ChunkSegments(1, 3.0, (seg(0.0, 2.0, " At home.", 2), seg(6.0, 8.0, " My brother.", 2)))
    merged = merge_chunks([answer, question])
    assert [(s.start, s.track, s.text) for s in merged] == [
        (0.0, 1, " Where were you?"), (3.0, 2, " At home."), (6.0, 1, " Who saw you?"), (9.0, 2, " My brother.")]


def test_the_same_words_on_two_tracks_at_the_same_time_are_kept_once_the_clearer() -> None:
    near = ChunkSegments(0, 10.0, (seg(0.0, 3.0, " I was at my brother's house all night.", 1, -0.2),))
    far = ChunkSegments(1, 10.1, (seg(0.0, 3.0, " I was at my brothers house all night", 2, -0.6),))
    assert [(s.track, s.avg_logprob) for s in merge_chunks([near, far])] == [(1, -0.2)]
    clearer_second = ChunkSegments(1, 10.1, (seg(0.0, 3.0, " I was at my brother's house all night.", 2, -0.1),))
    assert [(s.track, s.start) for s in merge_chunks([near, clearer_second])] == [(2, 10.1)]


def test_overlapping_speech_that_differs_is_all_kept() -> None:
    # two people talking over each other on their own mics: both are evidence
    a = ChunkSegments(0, 0.0, (seg(5.0, 8.0, " You're lying to me.", 1),))
    b = ChunkSegments(1, 0.0, (seg(5.5, 8.5, " I want my solicitor.", 2),))
    assert [s.track for s in merge_chunks([a, b])] == [1, 2]


def test_boundary_duplicates_are_judged_within_a_track() -> None:
    a = ChunkSegments(0, 0.0, (seg(0.0, 2.0, " Yes.", 1), seg(0.2, 2.0, " Yes.", 1)))  # decoded twice at a cut
    b = ChunkSegments(1, 0.0, (seg(0.1, 1.5, " No.", 2),))  # another track's segment in between
    assert [(s.track, s.text) for s in merge_chunks([a, b])] == [(1, " Yes."), (2, " No.")]
