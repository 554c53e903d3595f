"""The media step over the kinds of recording forces receive (tests/fixtures/mediakinds/): each kind's
speech on the expected track at the expected time on the container's timeline, or the expected error.

The first tests pin the defects the sweep (bench/media_kinds.py) found; the parametrized one keeps the
kinds that already worked working. test_kinds_pipeline.py takes some of them through the whole local
pipeline."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import pytest

from shared.media import MediaError, iter_audio, plan_chunks, probe
from tests.fixtures import mediagen, mediakinds
from tests.fixtures.mediagen import SR, AudioTrack


@functools.cache
def _kinds() -> dict[str, mediakinds.Kind]:  # built on first use: it loads the speech sample
    return {k.name: k for k in mediakinds.kinds()}


def _check(name: str, tmp_path: Path, vad_model_path: Path) -> mediakinds.Outcome:
    kind = _kinds()[name]
    return mediakinds.check(kind, kind.make(tmp_path), vad_model_path)


def test_opposite_phase_stereo_is_not_cancelled_by_the_downmix(tmp_path, vad_model_path):
    # L = -R (a miswired mic, a "widened" export): the L + R downmix was silence, so no speech was found
    s = mediakinds.clip(10.0)
    path = mediagen.write_tracks(tmp_path / "inv.m4a", [AudioTrack(np.stack([0.8 * s, -s]))], fmt="ipod",
                                 codec="aac", rate=44100)  # fmt: skip
    info = probe(path)
    assert [t.label for t in info.tracks] == ["Track 1 (stream #0, stereo right)"]  # the louder channel
    out = np.concatenate(list(iter_audio(path, stream_index=0, channel=info.tracks[0].channel)))
    at, corr = mediakinds.envelope_lag(s, out, 0.0)
    assert corr > 0.9 and abs(at) <= 0.03
    plan = plan_chunks(path, lambda i, b: f"c{i}", vad_model=vad_model_path, tracks=info.tracks)
    assert plan.tracks[0].speech_s > 5.0 and plan.chunks


@pytest.mark.parametrize(("right", "expected"), [(1.0, None), (0.0, None), (-1.0, 0), (-0.5, 0), (-2.0, 1)])
def test_only_a_downmix_that_cancels_takes_one_channel(right, expected):
    from shared.media.tracks import ChannelStats

    s = mediakinds.clip(6.0).astype(np.float64)
    other = mediakinds.clip(6.0, part=1).astype(np.float64)
    stats = ChannelStats(SR)  # right = k * left (k < 0: opposite phase), or k = 0: an unrelated voice
    stats.push(np.stack([s, right * s if right else other]))
    assert stats.cancels() == expected


def test_mp3_whose_frame_count_lies_is_judged_by_its_bytes(tmp_path, vad_model_path):
    # a Xing header claiming 3x the frames, its byte count true: the audio is whole (was media.truncated)
    assert _check("mp3_xing_frames_wrong", tmp_path, vad_model_path).ok
    cut = _check("mp3_cut_in_half", tmp_path, vad_model_path)  # fewer bytes than declared: really cut
    assert cut.ok and cut.code == "truncated" and "bytes" in cut.detail


def test_mp3_byte_count_with_or_without_its_id3_tag():
    from shared.media.probe import _judge_mp3_bytes

    start = 600_000  # a large cover picture before the audio
    _judge_mp3_bytes(start, 5_000_000, start + 5_000_000, 300.0)  # the count excludes the tag (FFmpeg, LAME)
    _judge_mp3_bytes(start, 5_000_000, 5_000_000, 300.0)  # the count includes it: whole as well
    with pytest.raises(MediaError) as ei:
        _judge_mp3_bytes(start, 5_000_000, start + 2_500_000, 300.0)  # half the audio: cut off
    assert ei.value.code == "truncated"


def test_audio_starting_minutes_into_the_container_stays_there(tmp_path):
    # a CCTV export whose audio starts 5 min 10 s after its video: more than MAX_GAP_FILL_S of lead-in, inside
    # the container's own length (was: placed at 0 s, and media.truncated against its per-track DURATION)
    s = mediakinds.clip(4.0)
    path = mediagen.write_tracks(tmp_path / "cctv.mkv", [AudioTrack(s, start_s=310.0)], fmt="matroska",
                                 codec="libopus", rate=48000, video_s=315.0)  # fmt: skip
    info = probe(path)
    audio = next(st for st in info.streams if st.kind == "audio")
    assert audio.start_s == pytest.approx(310.0, abs=0.06) and info.duration_s == pytest.approx(314.0, abs=0.06)
    out = np.concatenate(list(iter_audio(path)))
    assert len(out) / SR == pytest.approx(314.0, abs=0.06) and not out[: 309 * SR].any()
    at, corr = mediakinds.envelope_lag(s, out, 310.0)
    assert corr > 0.9 and abs(at - 310.0) <= 0.03


def test_a_clock_jump_beyond_the_containers_length_is_not_filled():
    from shared.media.timeline import MAX_GAP_FILL_S, Timeline

    t = Timeline(0.0, rate=100, span_s=20.0)  # the container declares 20 s
    t.place(t.silence_before(0.0), 1000)  # 10 s of audio
    assert t.silence_before(15.0) == 500  # a 5 s hole inside the container's length: silence
    t2 = Timeline(0.0, rate=100, span_s=20.0)
    t2.place(t2.silence_before(0.0), 1000)
    assert t2.silence_before(10.0 + MAX_GAP_FILL_S + 60) == 0  # beyond both: a clock jump, audio runs straight on


@pytest.mark.parametrize(
    ("name", "rate", "channels"), [("rate", 2_000_000_000, 1), ("rate0", 0, 1), ("channels", SR, 4000)]
)
def test_impossible_wav_header_is_refused_with_its_reason(tmp_path, name, rate, channels):
    path = mediakinds._wav_with_header(tmp_path / f"{name}.wav", rate=rate, channels=channels,
                                       data=mediakinds.pcm16(mediakinds.clip(1.0)))  # fmt: skip
    for call in (probe, lambda p: list(iter_audio(p))):
        with pytest.raises(MediaError) as ei:
            call(path)
        assert ei.value.code == "unsupported_audio"
        assert str(rate if name.startswith("rate") else channels) in ei.value.message


def test_wav_whose_data_size_stopped_part_way_is_decoded_whole(tmp_path):
    # a recorder that crashed after its last header update: the data chunk declares a third of the audio, the
    # rest follows with no chunk header (FFmpeg stopped at the declared size: two thirds dropped unheard)
    s = mediakinds.clip(9.0)
    pcm = mediakinds.pcm16(s)
    path = mediakinds._wav_with_header(tmp_path / "crash.wav", data=pcm, data_size=len(pcm) // 3,
                                       riff_size=len(pcm) // 3 + 36)  # fmt: skip
    info = probe(path)
    assert info.duration_s == pytest.approx(9.0, abs=0.01)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # the extra header reads hash nothing twice
    out = np.concatenate(list(iter_audio(path)))
    assert len(out) == len(s) and np.max(np.abs(out - s)) < 1e-3


def test_wav_with_a_chunk_after_its_data_stops_at_the_declared_size(tmp_path):
    # a LIST/INFO chunk after the audio (a consistent header): its bytes are not audio
    s = mediakinds.clip(3.0)
    pcm = mediakinds.pcm16(s)
    info = b"INFOISFT" + (14).to_bytes(4, "little") + b"toex-test-01\0\0"
    path = mediakinds._wav_with_header(tmp_path / "list.wav", data=pcm, riff_size=4 + 24 + 8 + len(pcm) + 8 + len(info))
    path.write_bytes(path.read_bytes() + b"LIST" + len(info).to_bytes(4, "little") + info)
    out = np.concatenate(list(iter_audio(path)))
    assert len(out) == len(s) and np.max(np.abs(out - s)) < 1e-3


@pytest.mark.parametrize("noise", ["hum", "dc"])
def test_speech_under_mains_hum_or_a_dc_offset_is_found(tmp_path, vad_model_path, noise):
    # a CCTV ground loop (50 Hz at -10 dBFS, its 150 Hz harmonic at -30 dBFS), a cheap recorder's DC offset:
    # Silero VAD found no speech under the hum (and half of it over the offset) until it heard the audio high-passed
    s = mediakinds.clip(10.0)
    t = np.arange(len(s)) / SR
    extra = 0.3 * np.sin(2 * np.pi * 50 * t) + 0.03 * np.sin(2 * np.pi * 150 * t) if noise == "hum" else 0.3
    clean = mediagen.write_media(tmp_path / "clean.wav", 0.5 * s, fmt="wav", codec="pcm_s16le")
    noisy = mediagen.write_media(tmp_path / f"{noise}.wav", (0.5 * s + extra).astype(np.float32), fmt="wav",
                                 codec="pcm_s16le")  # fmt: skip
    ref, got = (plan_chunks(p, lambda i, b: f"c{i}", vad_model=vad_model_path) for p in (clean, noisy))
    assert got.speech_s >= 0.9 * ref.speech_s > 5.0, (got.speech_s, ref.speech_s)
    decoded = np.concatenate(list(iter_audio(noisy)))  # what Whisper hears is the original, unfiltered
    assert abs(float(np.mean(decoded)) - float(np.mean(0.5 * s + extra))) < 0.01


def test_high_pass_streams_without_delay_or_loss():
    from shared.media.highpass import HighPass

    s = mediakinds.clip(4.0)
    hp = HighPass()
    y = np.concatenate([hp(b) for b in np.array_split(s, 37)])
    assert len(y) == len(s) and abs(float(np.mean(hp(np.full(SR, 0.5, np.float32))[SR // 2 :]))) < 1e-3
    at, corr = mediakinds.envelope_lag(s, y, 0.0)
    assert at == 0.0 and corr > 0.95


KEPT = [
    "mp4_ss_copy_cut", "mp4_video_before_audio", "mov_timecode_track", "mp3_id3_cover", "m4a_cover", "3gp_amr_nb_8k",
    "adts_aac_no_duration", "mp3_no_header", "stereo_call_recording_turns", "5.1_centre_speech", "wav_mulaw_8k",
    "wav_quiet_-40dBFS", "ts_concat_clock_restart", "m4a_movie_header_claims_hours", "mp4_faststart_cut",
    "wav_header_claims_hours", "audio_decodes_to_nothing", "avi_mulaw_cctv", "wav_g726_voip",
    "wav_crashed_sizes_zero", "mp4_fragmented", "webm_browser_recorder", "stereo_999_call_espeak_two_voices",
]  # fmt: skip


@pytest.mark.parametrize("name", KEPT)
def test_kind_gives_its_expected_outcome(tmp_path, vad_model_path, name):
    outcome = _check(name, tmp_path, vad_model_path)
    assert outcome.ok, outcome.detail
