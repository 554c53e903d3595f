"""The page's audio rendition (shared/media/rendition.py): which originals need one, and that it keeps their times."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shared.media import probe
from shared.media.decode import AudioDecoder
from shared.media.rendition import audio_streams, browser_plays, stream_channels, write_rendition
from tests.fixtures import mediagen

SR = 16000


def _verdict(path: Path) -> Any:
    return browser_plays(probe(path).to_dict())


@pytest.mark.parametrize(("container", "codec", "video"), [
    ("m4a", None, False), ("mp4", None, False), ("mp3", None, False), ("wav", None, False)])
def test_formats_every_browser_plays_are_played_as_they_are(make_media: Any, tmp_path: Path, container: str,
                                                              codec: str | None, video: bool) -> None:
    assert _verdict(make_media(tmp_path, container, codec, seconds=2, video=video)).playable


@pytest.mark.parametrize(("container", "codec", "video"), [
    ("mkv", None, False), ("mkv", "flac", False), ("flac", None, False), ("3gp", None, False), ("amr", None, False),
    ("wma", None, False), ("ogg", None, False), ("avi", None, True), ("aac", None, False),
    ("mov", "pcm_s16le", False), ("mp4", None, True)])  # mpeg4 part 2 video: not H.264
def test_other_formats_get_a_rendition_with_the_reason(make_media: Any, tmp_path: Path, container: str,
                                                       codec: str | None, video: bool) -> None:
    verdict = _verdict(make_media(tmp_path, container, codec, seconds=2, video=video))
    assert not verdict.playable and verdict.reason


def test_several_tracks_are_mixed_on_the_shared_timeline_and_the_original_is_untouched(tmp_path: Path) -> None:
    # track 1: 440 Hz from 0 s for 4 s; track 2: 1 kHz from 3 s, with a 1.5 s hole after its first 2 s
    low, high = mediagen.tone(4.0, 440.0), mediagen.tone(4.0, 1000.0)
    src = mediagen.write_tracks(tmp_path / "two.mkv", [mediagen.AudioTrack(low),
                                                       mediagen.AudioTrack(high, start_s=3.0, holes=((2.0, 1.5),))],
                                fmt="matroska", codec="flac", rate=16000)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    info = probe(src).to_dict()
    assert not browser_plays(info).playable and audio_streams(info) == (0, 1)
    out = write_rendition(src, tmp_path / "r.m4a", audio_streams(info))
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    assert out.sha256 == hashlib.sha256((tmp_path / "r.m4a").read_bytes()).hexdigest()
    again = probe(tmp_path / "r.m4a").to_dict()
    assert browser_plays(again).playable  # the rendition itself is what every browser plays
    assert abs(out.duration_s - info["duration_s"]) < 0.01 and abs(again["duration_s"] - info["duration_s"]) < 0.06
    pcm = np.concatenate(list(AudioDecoder(tmp_path / "r.m4a", sample_rate=SR)))
    step = SR // 50  # 20 ms

    def level(freq: float, t: float) -> float:  # that tone's amplitude in the 20 ms at t
        x = pcm[round(t * SR): round(t * SR) + step]
        return float(abs(np.dot(x, np.exp(-2j * np.pi * freq * np.arange(len(x)) / SR))) * 2 / len(x))

    assert level(1000, 2.9) < 0.01 < level(1000, 3.05)  # track 2 starts at 3 s, not at 0
    assert level(1000, 5.5) < 0.01 < level(1000, 6.55)  # its hole (5 to 6.5 s) stays a hole
    assert level(440, 3.5) > 0.1 and level(440, 4.1) < 0.01  # track 1 ends at 4 s
    assert abs(level(1000, 8.0) - 0.15) < 0.03  # each track at half its level: mixed, never clipped


def test_an_amr_3gp_rendition_lasts_as_long_as_the_original(make_media: Any, tmp_path: Path) -> None:
    src = make_media(tmp_path, "3gp", seconds=7)
    info = probe(src).to_dict()
    out = write_rendition(src, tmp_path / "r.m4a", audio_streams(info))
    assert abs(probe(tmp_path / "r.m4a").duration_s - info["duration_s"]) < 0.06
    assert out.streams == (0,)


def test_opposite_phase_stereo_renders_its_louder_channel_not_a_cancelled_downmix(tmp_path: Path) -> None:
    from tests.fixtures import mediakinds
    from tests.fixtures.mediagen import AudioTrack

    s = mediakinds.clip(6.0)
    src = mediagen.write_tracks(tmp_path / "inv.mkv", [AudioTrack(np.stack([s, -s]))], fmt="matroska",
                                codec="libopus", rate=48000)  # fmt: skip
    info = probe(src).to_dict()
    assert not browser_plays(info).playable
    out = tmp_path / "playback.m4a"
    write_rendition(src, out, audio_streams(info), channels=stream_channels(info))
    played = np.concatenate(list(AudioDecoder(out)))
    at, corr = mediakinds.envelope_lag(s, played, 0.0)
    assert corr > 0.9 and abs(at) <= 0.06  # (downmixed, the rendition was near silence)
