"""Audio as it really is in phone, body-worn and CCTV exports: placed on the container's timeline,
judged per stream, measured by the samples it decodes to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shared.media import MediaError, iter_audio, plan_chunks, probe
from shared.media.tracks import Track
from tests.fixtures import mediagen
from tests.fixtures.mediagen import AudioTrack

SR = 16000
# (container format, codec, rate, suffix): MP4 declares per-stream lengths in its header, Matroska
# in per-track DURATION tags; both are what phones and body-worn cameras write.
FORMATS = {"mp4": ("mp4", "aac", 44100, ".mp4"), "mkv": ("matroska", "libopus", 48000, ".mkv")}
TIMING_TOL_S = 0.06  # AAC priming / Opus pre-skip and resampler delay


def _write(tmp: Path, name: str, kind: str, tracks: list[AudioTrack], video_s: float | None = None) -> Path:
    fmt, codec, rate, suffix = FORMATS[kind]
    return mediagen.write_tracks(tmp / f"{name}{suffix}", tracks, fmt=fmt, codec=codec, rate=rate, video_s=video_s)


def _decode(path: Path, **kw: object) -> np.ndarray:
    return np.concatenate(list(iter_audio(path, **kw)))  # type: ignore[arg-type]


def _lag(ref: np.ndarray, out: np.ndarray, max_lag: int = 2400) -> tuple[int, float]:
    """Lag (samples) of `ref` inside `out` near offset 0 (max correlation) and that correlation."""
    n = len(ref)
    best = max(range(0, 2 * max_lag, 4), key=lambda k: float(np.dot(ref, out[k : k + n])))
    seg = out[best : best + n]
    return best - max_lag, float(np.corrcoef(ref, seg)[0, 1])


class Store:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def __call__(self, index: int, flac: bytes) -> str:
        ref = f"chunks/{index:04d}.flac"
        self.blobs[ref] = flac
        return ref


def _windows(plan) -> list[tuple[int, float, float]]:  # type: ignore[no-untyped-def]
    return [(c.track, c.start_s + a, c.start_s + b) for c in plan.chunks for a, b in c.windows]


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_audio_shorter_than_video_is_not_truncated(tmp_path, kind):
    # the phone case: video 20 s, audio 12 s (the old probe said media.truncated)
    path = _write(tmp_path, "phone", kind, [AudioTrack(mediagen.speech(12.0))], video_s=20.0)
    info = probe(path)
    assert info.declared_duration_s == pytest.approx(20.0, abs=0.05)
    assert info.duration_s == pytest.approx(12.0, abs=TIMING_TOL_S)
    audio = next(s for s in info.streams if s.kind == "audio")
    assert audio.start_s == pytest.approx(0.0, abs=TIMING_TOL_S) and audio.gap_s == 0.0
    assert audio.end_s == pytest.approx(12.0, abs=TIMING_TOL_S)
    assert audio.decoded_s == pytest.approx(12.0, abs=TIMING_TOL_S)
    assert [t.label for t in info.tracks] == ["Track 1 (stream #1)"]


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_audio_longer_than_video_is_decoded_whole(tmp_path, kind):
    path = _write(tmp_path, "long", kind, [AudioTrack(mediagen.speech(12.0))], video_s=4.0)
    info = probe(path)
    assert info.duration_s == pytest.approx(12.0, abs=TIMING_TOL_S)
    out = _decode(path)
    assert len(out) / SR == pytest.approx(12.0, abs=TIMING_TOL_S)
    assert _lag(mediagen.speech(12.0)[SR : 11 * SR], out[SR - 2400 :])[1] > 0.95


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_late_start_stays_late(tmp_path, kind, vad_model_path):
    src = mediagen.speech(14.0)
    plain = _write(tmp_path, "plain", kind, [AudioTrack(src)], video_s=20.0)
    late = _write(tmp_path, "late", kind, [AudioTrack(src, start_s=3.0)], video_s=20.0)
    info = probe(late)
    audio = next(s for s in info.streams if s.kind == "audio")
    assert audio.start_s == pytest.approx(3.0, abs=TIMING_TOL_S)
    assert info.duration_s == pytest.approx(17.0, abs=TIMING_TOL_S)
    out = _decode(late)
    assert np.max(np.abs(out[: int(2.9 * SR)])) == 0.0  # the lead-in is silence, not shifted speech
    lag, r = _lag(src[SR : 10 * SR], out[4 * SR - 2400 :])  # speech at x in the source is at 3 s + x
    assert r > 0.95 and abs(lag) <= TIMING_TOL_S * SR
    # speech is found where it is on the video's timeline: every window moved by the 3 s start
    a, b = (_windows(plan_chunks(p, Store(), vad_model=vad_model_path)) for p in (plain, late))
    assert len(a) == len(b) >= 1
    for (_, s0, e0), (_, s1, e1) in zip(a, b, strict=True):
        assert s1 == pytest.approx(s0 + 3.0, abs=TIMING_TOL_S) and e1 == pytest.approx(e0 + 3.0, abs=TIMING_TOL_S)


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_hole_in_the_track_stays_a_gap(tmp_path, kind):
    src = mediagen.speech(14.0)
    path = _write(tmp_path, "hole", kind, [AudioTrack(src, holes=((5.0, 10.0),))])
    info = probe(path)  # not truncated: the hole is in the timestamps, the stream declares its 24 s
    audio = info.streams[0]
    assert audio.gap_s == pytest.approx(10.0, abs=TIMING_TOL_S)
    assert audio.decoded_s == pytest.approx(14.0, abs=TIMING_TOL_S)
    assert info.duration_s == pytest.approx(24.0, abs=TIMING_TOL_S)
    out = _decode(path)
    assert len(out) / SR == pytest.approx(24.0, abs=TIMING_TOL_S)
    assert np.max(np.abs(out[int(5.2 * SR) : int(14.9 * SR)])) == 0.0
    lag, r = _lag(src[6 * SR : 13 * SR], out[16 * SR - 2400 :])  # source 6 s plays at 16 s
    assert r > 0.95 and abs(lag) <= TIMING_TOL_S * SR


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_two_tracks_of_different_lengths_first_silent(tmp_path, kind, vad_model_path):
    speech = mediagen.speech(20.0)
    path = _write(tmp_path, "two", kind, [AudioTrack(mediagen.silence(8.0)), AudioTrack(speech, language="pol")],
                  video_s=10.0)  # fmt: skip
    info = probe(path)
    assert [(t.number, t.stream_index, t.language) for t in info.tracks] == [(1, 1, None), (2, 2, "pol")]
    assert [s.end_s for s in info.streams if s.kind == "audio"] == pytest.approx([8.0, 20.0], abs=TIMING_TOL_S)
    assert info.duration_s == pytest.approx(20.0, abs=TIMING_TOL_S)
    store = Store()
    plan = plan_chunks(path, store, vad_model=vad_model_path)
    assert (plan.tracks[0].track.number, plan.tracks[0].chunks) == (1, 0)  # searched, nothing there
    assert plan.tracks[0].speech_s == 0.0 and plan.tracks[1].speech_s > 10.0
    assert [t.duration_s for t in plan.tracks] == pytest.approx([8.0, 20.0], abs=TIMING_TOL_S)
    assert plan.chunks and {c.track for c in plan.chunks} == {2}
    assert [c.index for c in plan.chunks] == list(range(len(plan.chunks)))


def _turns(seconds: float, turn_s: float, first_left: bool) -> np.ndarray:
    """Speech in alternate turns of `turn_s` seconds, starting on this channel if `first_left`."""
    s = mediagen.speech(seconds)
    on = (np.arange(len(s)) // round(turn_s * SR)) % 2 == (0 if first_left else 1)
    return np.where(on, s, 0.0).astype(np.float32)


def test_stereo_with_a_voice_per_channel_is_two_tracks(tmp_path, vad_model_path):
    left, right = _turns(24.0, 6.0, True), _turns(24.0, 6.0, False)
    path = mediagen.write_tracks(
        tmp_path / "room.m4a", [AudioTrack(np.stack([left, 0.1 * left + right]), language="eng")],
        fmt="ipod", codec="aac", rate=44100,
    )  # a mic per speaker, each hearing the other 20 dB down
    info = probe(path)
    assert [t.label for t in info.tracks] == ["Track 1 (stream #0, eng, stereo left)",
                                              "Track 2 (stream #0, eng, stereo right)"]
    for track, ref in zip(info.tracks, (left, right), strict=True):
        out = _decode(path, stream_index=track.stream_index, channel=track.channel)
        assert _lag(ref[SR : 20 * SR], out[SR - 2400 :])[1] > 0.9
    plan = plan_chunks(path, Store(), vad_model=vad_model_path, tracks=info.tracks)
    # each track holds its own speaker's turns only: the right mic's bleed of the left voice is gated
    assert all(t.speech_s < 14.0 for t in plan.tracks), [t.speech_s for t in plan.tracks]
    # turn taking: one conversation, transcribed together, each span owned by the speaker's own track
    assert {t for c in plan.chunks for t in c.tracks} == {1, 2} and all(c.owners for c in plan.chunks)
    owned = {round(c.start_s + (a + b) / 2, 1): t for c in plan.chunks for a, b, t in c.owners if b - a >= 0.5}
    assert set(owned.values()) == {1, 2}
    # (the sample's speech starts at 6.3 s: the first turn is silent) 0.7 s off each turn change
    probe_at = [x / 10 for x in range(70, 240) if min(x % 60, 60 - x % 60) > 7]
    owner_at = [_owner(plan, t) for t in probe_at]
    right = sum(o == (1 if int(t // 6) % 2 == 0 else 2) for t, o in zip(probe_at, owner_at, strict=True))
    assert right / len(probe_at) >= 0.95, right / len(probe_at)


def _owner(plan, t):  # type: ignore[no-untyped-def]
    for c in plan.chunks:
        for a, b, track in c.owners:
            if c.start_s + a <= t < c.start_s + b:
                return track
    return None


@pytest.mark.parametrize("second", ["copy", "near_copy"])
def test_stereo_of_one_scene_is_one_downmixed_track(tmp_path, second):
    left = mediagen.speech(12.0)
    rng = np.random.default_rng(0)  # near copy: a second mic 10 cm away, 2 dB down, a little noise
    right = left if second == "copy" else (0.8 * np.roll(left, 4) + rng.standard_normal(len(left)) * 0.002)
    path = mediagen.write_tracks(tmp_path / "phone.m4a", [AudioTrack(np.stack([left, right.astype(np.float32)]))],
                                 fmt="ipod", codec="aac", rate=44100)  # fmt: skip
    assert [t.label for t in probe(path).tracks] == ["Track 1 (stream #0, stereo downmixed)"]


def test_forged_timestamps_cannot_bypass_the_duration_limit(tmp_path, vad_model_path):
    # issue 10 finding 6: 60 s of audio whose timestamps claim 1.5 s passed a 30 s limit
    real = mediagen.write_media(tmp_path / "real.mkv", mediagen.speech(60.0), fmt="matroska", codec="libopus",
                                rate=48000)  # fmt: skip
    forged = mediagen.squeeze_timestamps(real, tmp_path / "forged.mkv", 40)
    with pytest.raises(MediaError) as ei:
        probe(forged, max_duration_s=30.0)
    assert ei.value.code == "too_long"
    assert probe(forged).duration_s == pytest.approx(60.0, abs=0.1)  # counted in decoded samples
    track = [Track(1, 0, None, 1, None)]
    for tracks in (track, None):  # planning stops at the limit too, with or without the probe's tracks
        store = Store()
        with pytest.raises(MediaError) as ei:
            plan_chunks(forged, store, vad_model=vad_model_path, tracks=tracks, max_duration_s=30.0)
        assert ei.value.code == "too_long"
    assert plan_chunks(forged, Store(), vad_model=vad_model_path, tracks=track).duration_s == pytest.approx(60, abs=0.1)


def test_cut_off_file_with_video_still_fails_as_truncated(tmp_path):
    full = _write(tmp_path, "full", "mkv", [AudioTrack(mediagen.speech(20.0))], video_s=20.0)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(MediaError) as ei:
        probe(cut)
    assert ei.value.code == "truncated" and "audio stream #1" in ei.value.message
