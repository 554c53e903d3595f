"""Probe and streamed decode over the containers officers hand in, on media made with PyAV."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from shared.media import MediaError, iter_audio, probe
from shared.media.decode import AudioDecoder
from tests.fixtures import mediagen

SR = 16000
# Codec delay that no container metadata can remove: raw ADTS (AAC priming, 1024 samples at 16 kHz),
# MP3 in AVI (no gapless info), WMA v2 and AMR-NB (codec delay). Elsewhere the decoded audio is aligned.
MAX_LAG_MS = {"aac": 70.0, "avi": 30.0, "wma": 50.0, "amr": 10.0, "3gp": 10.0}
MIN_CORR = {"3gp": 0.85, "amr": 0.85}  # AMR-NB at 8 kHz is narrowband speech coding


def _decode(path: Path) -> np.ndarray:
    return np.concatenate(list(iter_audio(path)))


def _best_lag(src: np.ndarray, out: np.ndarray, max_lag: int = 1600) -> tuple[int, float]:
    """Lag (samples) maximising the correlation of out against src, and that correlation."""
    n = min(len(src), len(out)) - 2 * max_lag
    ref = src[max_lag : max_lag + n]

    def corr(lag: int) -> float:
        return float(np.dot(ref, out[max_lag + lag : max_lag + lag + n]))

    coarse = max(range(-max_lag, max_lag + 1, 8), key=corr)
    lag = max(range(coarse - 8, coarse + 9), key=corr)
    seg = out[max_lag + lag : max_lag + lag + n]
    return lag, float(np.corrcoef(ref, seg)[0, 1])


@pytest.mark.parametrize("container", sorted(mediagen.CONTAINERS))
def test_container_decodes_to_16k_mono_aligned_with_source(tmp_path, make_media, container):
    video = container in mediagen.VIDEO_CODEC
    path = make_media(tmp_path, container, seconds=12.0, content="speech", video=video)
    src = mediagen.speech(12.0)
    blocks = list(iter_audio(path, block_s=5.0))
    assert all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    assert all(len(b) == 5 * SR for b in blocks[:-1])
    out = np.concatenate(blocks)
    assert abs(len(out) / SR - 12.0) <= 0.05 + MAX_LAG_MS.get(container, 0) / 1000
    lag, r = _best_lag(src, out)
    assert abs(lag) / SR * 1000 <= MAX_LAG_MS.get(container, 2.0)
    assert r >= MIN_CORR.get(container, 0.95)

    info = probe(path)
    assert abs(info.duration_s - 12.0) <= 0.15
    audio = [s for s in info.streams if s.kind == "audio"]
    assert len(audio) == 1 and info.audio_stream_index == audio[0].index
    _, codec, rate, _ = mediagen.CONTAINERS[container]
    assert audio[0].channels == 1
    assert audio[0].sample_rate == (48000 if codec == "libopus" else rate)  # Opus always decodes at 48 kHz
    assert any(s.kind == "video" for s in info.streams) == video


def test_probe_fields_hash_and_readonly(tmp_path, make_media):
    path = make_media(tmp_path, "mp4", seconds=8.0, video=True)
    path.chmod(stat.S_IRUSR)  # read-only original must be accepted and left untouched
    before = (path.stat().st_mtime_ns, path.read_bytes())
    info = probe(path)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.size_bytes == path.stat().st_size
    assert info.path_name == path.name
    assert "mp4" in info.format_name.split(",")
    assert info.bit_rate and info.bit_rate > 10_000
    kinds = [(s.kind, s.codec) for s in info.streams]
    assert kinds == [("video", "mpeg4"), ("audio", "aac")]
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before
    d = info.to_dict()
    assert d["streams"][1]["codec"] == "aac" and d["sha256"] == info.sha256


def test_hash_covers_bytes_ffmpeg_skips(tmp_path, make_media):
    # moov at the end: FFmpeg seeks around; the hash must still be of every byte, in order
    path = make_media(tmp_path, "mov", seconds=5.0, video=True)
    with open(path, "ab") as fh:
        fh.write(os.urandom(100_000))  # trailing junk FFmpeg never reads
    assert probe(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_stereo_is_downmixed(tmp_path):
    path = mediagen.write_media(
        tmp_path / "stereo.m4a", mediagen.speech(6.0), fmt="ipod", codec="aac", rate=44100, channels=2
    )
    info = probe(path)
    assert info.streams[0].channels == 2
    out = _decode(path)
    assert abs(len(out) / SR - 6.0) < 0.05
    assert _best_lag(mediagen.speech(6.0), out)[1] > 0.95


def test_multiple_audio_streams_recorded_and_default_chosen(tmp_path):
    path = mediagen.write_media(
        tmp_path / "two.mkv", mediagen.speech(6.0), fmt="matroska", codec="libopus", rate=48000,
        extra_audio=mediagen.tone(6.0), language="eng",
    )  # fmt: skip
    info = probe(path)
    audio = [s for s in info.streams if s.kind == "audio"]
    assert [s.language for s in audio] == ["eng", "pol"]
    assert info.audio_stream_index == audio[0].index
    out = _decode(path)
    assert _best_lag(mediagen.speech(6.0), out)[1] > 0.95  # the speech track, not the tone


def test_variable_sample_rate_stream(tmp_path):
    a = mediagen.write_media(tmp_path / "a.mp3", mediagen.speech(10.0), fmt="mp3", codec="libmp3lame", rate=44100)
    b = mediagen.write_media(tmp_path / "b.mp3", mediagen.tone(5.0), fmt="mp3", codec="libmp3lame", rate=22050)
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    out = _decode(joined)
    assert abs(len(out) / SR - 15.0) < 0.15
    tail = out[-4 * SR : -SR]  # the 22.05 kHz tone part, resampled to 16 kHz: 440 Hz peak
    spec = np.abs(np.fft.rfft(tail))
    assert abs(np.argmax(spec) * SR / len(tail) - 440.0) < 2.0


def test_corrupt_packets_are_skipped_and_timeline_kept(tmp_path, make_media):
    path = make_media(tmp_path, "aac", seconds=20.0)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    for k in range(3, 8):
        off = len(data) * k // 10
        data[off : off + 300] = rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
    bad = tmp_path / "corrupt.aac"
    bad.write_bytes(bytes(data))
    dec = AudioDecoder(bad)
    out = np.concatenate(list(dec))
    assert dec.bad_packets > 0
    assert abs(len(out) / SR - 20.0) < 0.2
    src = mediagen.speech(20.0)
    # the end still lines up with the source (1024 samples of ADTS priming): the lost packets'
    # time was filled with silence instead of shifting everything after them
    assert dec.gap_s >= 0.1
    lag, r = _best_lag(src[-6 * SR :], out[-6 * SR - 1024 :][: 6 * SR])
    assert r > 0.9 and abs(lag) <= 0.05 * SR


@pytest.fixture
def bad_inputs(tmp_path, make_media):
    d = tmp_path
    (d / "empty.wav").write_bytes(b"")
    (d / "report.mp4").write_bytes(b"%PDF-1.4\n" + os.urandom(30_000))
    (d / "random.mp3").write_bytes(np.random.default_rng(3).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    for c in ("mp4", "wav", "flac", "mkv", "mp3"):
        full = make_media(d, c, seconds=10.0)
        (d / f"trunc_{full.name}").write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    mediagen.video_only(d / "silent_video.mp4", 4.0)
    mediagen.write_media(d / "zero.wav", np.zeros(0, np.float32), fmt="wav", codec="pcm_s16le")
    mediagen.write_media(d / "zero.flac", np.zeros(0, np.float32), fmt="flac", codec="flac")
    return d


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.wav", "empty_file"),
        ("missing.wav", "not_found"),
        ("report.mp4", "not_media"),
        ("random.mp3", "not_media"),
        ("trunc_mp4_aac_speech_10.mp4", "truncated"),
        ("trunc_wav_pcm_s16le_speech_10.wav", "truncated"),
        ("trunc_flac_flac_speech_10.flac", "truncated"),
        ("trunc_mkv_libopus_speech_10.mkv", "truncated"),
        ("trunc_mp3_libmp3lame_speech_10.mp3", "truncated"),
        ("silent_video.mp4", "no_audio_stream"),
        ("zero.wav", "no_audio_decoded"),
        ("zero.flac", "no_audio_decoded"),
    ],
)
def test_bad_input_gives_specific_error(bad_inputs, name, code):
    with pytest.raises(MediaError) as ei:
        probe(bad_inputs / name)
    assert ei.value.code == code
    assert str(ei.value).startswith(f"{code}: ") and ei.value.message
    if code not in ("truncated",):  # truncated streams still decode what is there
        with pytest.raises(MediaError) as ei2:
            list(iter_audio(bad_inputs / name))
        assert ei2.value.code == code


def test_too_long(tmp_path, make_media):
    path = make_media(tmp_path, "ogg", seconds=6.0)
    with pytest.raises(MediaError) as ei:
        probe(path, max_duration_s=5.0)
    assert ei.value.code == "too_long"
    assert probe(path, max_duration_s=7.0).duration_s == pytest.approx(6.0, abs=0.05)


def test_nothing_decodable_in_audio_stream(tmp_path, make_media):
    bad = tmp_path / "garbage_adts.aac"  # valid ADTS headers, payload replaced by noise
    bad.write_bytes(mediagen.adts_with_garbage(make_media(tmp_path, "aac", seconds=3.0).read_bytes()))
    for call in (probe, lambda p: list(iter_audio(p))):
        with pytest.raises(MediaError) as ei:
            call(bad)
        assert ei.value.code == "no_audio_decoded"
