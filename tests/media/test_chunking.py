"""plan_chunks: chunks cut in silence, Whisper windows over speech only, FLAC chunks that lose nothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shared.media import ChunkPlan, MediaError, PlannedChunk, load_audio, plan_chunks
from shared.media.decode import iter_audio
from shared.media.vad import speech_pieces
from tests.fixtures import mediagen

SR = 16000
# 12 speech blocks (~23.5 s each) with pauses under 10 s, then a long pause: > 300 s of
# continuous conversation, so the 5-minute limit (not only silence) must cut chunks.
PAUSES = [1.5, 3.0, 5.0, 2.5, 0.8, 4.0, 2.0, 6.0, 3.0, 1.0, 2.0, 3.0, 50.0]


class Store:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def __call__(self, index: int, flac: bytes) -> str:
        ref = f"chunks/{index:04d}.flac"
        assert ref not in self.blobs
        self.blobs[ref] = flac
        return ref


@pytest.fixture(scope="module")
def twelve_minutes(tmp_path_factory, vad_model_path):
    audio, spans = mediagen.speech_layout(720.0, PAUSES)
    path = mediagen.write_media(tmp_path_factory.mktemp("c") / "twelve.wav", audio, fmt="wav", codec="pcm_s16le")
    store = Store()
    plan = plan_chunks(path, store, vad_model=vad_model_path)
    return path, spans, store, plan


def _in_span(t: float, spans: list[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in spans)


def test_chunks_are_bounded_and_cut_in_silence(twelve_minutes):
    _, spans, store, plan = twelve_minutes
    assert plan.duration_s == pytest.approx(720.0, abs=0.01)
    assert len(plan.chunks) >= 3
    assert [c.index for c in plan.chunks] == list(range(len(plan.chunks)))
    assert set(store.blobs) == {c.ref for c in plan.chunks}
    # the > 5-minute conversation was split by the size limit (at its longest late pause), not by a long silence
    assert any(b.start_s - a.end_s < 10.0 for a, b in itertools.pairwise(plan.chunks))
    assert any(c.end_s - c.start_s >= 150.0 for c in plan.chunks)
    for c in plan.chunks:
        assert 0 < c.end_s - c.start_s <= 300.0
    for a, b in itertools.pairwise(plan.chunks):
        assert a.end_s < b.start_s  # never adjacent: every cut is in a silence...
        assert not _in_span((a.end_s + b.start_s) / 2, spans)  # ...and that silence is a real pause


def test_windows_cover_speech_once_and_skip_long_silence(twelve_minutes):
    _, spans, _, plan = twelve_minutes
    windows = [(c.start_s + a, c.start_s + b) for c in plan.chunks for a, b in c.windows]
    for c in plan.chunks:
        assert c.windows and c.windows[0][0] == 0.0 and c.windows[-1][1] == pytest.approx(c.end_s - c.start_s)
        for a, b in c.windows:
            assert 0 <= a < b <= c.end_s - c.start_s + 1e-9 and b - a <= 30.0
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(windows))
    for a, b in spans:  # each speech frame is inside exactly one window
        for t in np.arange(a + 0.3, b - 0.3, 0.5):
            assert sum(w0 <= t < w1 for w0, w1 in windows) == 1, t
    for i, (a, b) in enumerate(itertools.pairwise(spans)):
        if PAUSES[(i + 1) % len(PAUSES)] >= 45.0:  # long pauses: no chunk covers them
            mid = (a[1] + b[0]) / 2
            assert not any(c.start_s <= mid < c.end_s for c in plan.chunks)
    total = sum(w1 - w0 for w0, w1 in windows)
    assert plan.speech_s <= total + 1e-6
    assert total < 0.9 * plan.duration_s


def test_windows_match_vad_of_the_whole_signal(twelve_minutes, vad_model_path):
    path, _, _, plan = twelve_minutes
    audio = np.concatenate(list(iter_audio(path)))
    pieces = speech_pieces(audio, vad_model_path, max_piece=30 * SR)
    windows = [(c.start_s + a, c.start_s + b) for c in plan.chunks for a, b in c.windows]
    for p in pieces:  # streamed planning found the same speech as one in-memory pass
        inside = [w for w in windows if w[0] - 1e-9 <= p.start / SR and p.end / SR <= w[1] + 1e-9]
        assert len(inside) == 1


def test_no_lost_audio(twelve_minutes):
    path, _, store, plan = twelve_minutes
    source = np.concatenate(list(iter_audio(path)))
    for c in plan.chunks:
        chunk = load_audio(store.blobs[c.ref])
        a, b = round(c.start_s * SR), round(c.end_s * SR)
        assert chunk.dtype == np.float32 and len(chunk) == b - a
        assert np.max(np.abs(chunk - source[a:b])) <= 1.5 / 32768  # 16-bit FLAC: exact to the LSB


def test_plan_serialises(twelve_minutes):
    plan = twelve_minutes[3]
    d = plan.to_dict()
    assert ChunkPlan.from_dict(d) == plan
    assert PlannedChunk.from_dict(d["chunks"][0]) == plan.chunks[0]


def test_no_speech_gives_empty_plan(tmp_path, vad_model_path):
    audio = np.concatenate([mediagen.silence(15.0), mediagen.noise(15.0, amp=0.003), mediagen.silence(15.0)])
    path = mediagen.write_media(tmp_path / "quiet.ogg", audio, fmt="ogg", codec="libopus", rate=48000)
    store = Store()
    plan = plan_chunks(path, store, vad_model=vad_model_path)
    assert plan.chunks == () and plan.speech_s == 0 and store.blobs == {}
    assert plan.duration_s == pytest.approx(45.0, abs=0.05)


def test_small_chunks_and_windows(speech_with_pauses_wav, vad_model_path):
    store = Store()
    plan = plan_chunks(speech_with_pauses_wav, store, vad_model=vad_model_path, max_chunk_s=60.0, window_s=12.0)
    assert len(plan.chunks) >= 5
    for c in plan.chunks:
        assert c.end_s - c.start_s <= 60.0
        assert all(b - a <= 12.0 for a, b in c.windows)
        assert len(load_audio(store.blobs[c.ref])) == round(c.end_s * SR) - round(c.start_s * SR)
    with pytest.raises(ValueError):
        plan_chunks(speech_with_pauses_wav, store, vad_model=vad_model_path, max_chunk_s=20.0, window_s=30.0)


def test_video_container_plan(tmp_path, make_media, vad_model_path):
    path = make_media(tmp_path, "mp4", seconds=40.0, content="speech", video=True)
    store = Store()
    plan = plan_chunks(path, store, vad_model=vad_model_path)
    assert len(plan.chunks) >= 1 and plan.speech_s > 20.0
    assert plan.duration_s == pytest.approx(40.0, abs=0.05)


def test_load_audio_from_path_and_bad_bytes(tmp_path, make_media):
    path = make_media(tmp_path, "flac", seconds=3.0)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and len(audio) == 3 * SR
    for bad, code in ((b"", "no_audio_decoded"), (b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "not_media")):
        with pytest.raises(MediaError) as ei:
            load_audio(bad)
        assert ei.value.code == code


def _window_ends(pieces_s: list[tuple[float, float]]) -> list[tuple[float, float]]:
    from shared.media.chunking import _ChunkBuilder
    from shared.media.vad import Piece

    builder = _ChunkBuilder(lambda i, b: f"c{i}", 300 * SR, 30 * SR)
    pieces = [Piece(round(a * SR), round(b * SR)) for a, b in pieces_s]
    return [(round(a / SR, 2), round(b / SR, 2)) for a, b in builder._windows(pieces)]


def test_a_full_window_ends_at_the_widest_pause_in_its_second_half() -> None:
    # padded gaps 0.05 s at 17 s and 0.6 s at 26 s: the clearly wider pause wins, though less balanced
    ends = _window_ends([(0, 17.0), (17.05, 26.0), (26.6, 40.0)])
    assert ends[0][1] == pytest.approx(26.3, abs=0.01) and len(ends) == 2


def test_pauses_equal_within_vad_jitter_end_the_window_where_the_last_one_is_not_left_short() -> None:
    # a talk run of 34 s: pauses (padded gaps) at 22.5 s and 29.5 s differ by 0.03 s, the width of a
    # VAD frame; cutting at the later one leaves a lone 4.8 s last window, the earlier one 11.8 s
    pieces = [(0.14, 11.4), (11.47, 22.48), (22.61, 29.5), (29.6, 34.34)]
    ends = _window_ends(pieces)
    assert ends[0][1] == pytest.approx((22.48 + 22.61) / 2, abs=0.01), ends
    # the same talk with the edges jittered by a frame or two (a mix of mics): the same cut
    jittered = [(0.15, 11.45), (11.48, 22.49), (22.58, 29.5), (29.66, 34.34)]
    assert _window_ends(jittered)[0][1] == pytest.approx(ends[0][1], abs=0.05)


def test_equal_pauses_keep_the_latest_cut_unless_it_leaves_a_short_last_window() -> None:
    # the rest of the talk does not fit in one window, or its last window is long enough: windows stay
    # as long as they can be (the interview set's plans are unchanged)
    pieces = [(0.0, 16.0), (16.1, 22.0), (22.1, 29.0), (29.1, 50.0), (50.1, 70.0)]
    assert _window_ends(pieces)[0][1] == pytest.approx(29.05, abs=0.01)
    assert _window_ends([(0.0, 16.0), (16.1, 22.0), (22.1, 29.0), (29.1, 40.0)])[0][1] == pytest.approx(29.05, abs=0.01)
