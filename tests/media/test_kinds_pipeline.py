"""Kinds of recording forces receive (tests/fixtures/mediakinds/) through the whole local pipeline, with
the tiny Whisper model (exported by the fixtures, so not in the runtime-only Python 3.12 step): a phone video
on the video's timeline, an opposite-phase stereo recording, and hostile files failing their job once with
the reason, the original unchanged."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from shared.domain import JobStatus
from tests.fixtures import mediagen, mediakinds
from tests.fixtures.mediagen import SR, AudioTrack
from tests.fixtures.pipeline import MakeApp, transcript_of

FAST = {"beam_size": 1, "formats": ["json", "txt"]}


@functools.cache
def _kinds() -> dict[str, mediakinds.Kind]:  # built on first use: it loads the speech sample
    return {k.name: k for k in mediakinds.kinds()}


def test_phone_video_through_the_pipeline_on_the_video_timeline(
    make_app: MakeApp, tiny_whisper_package: Path, tmp_path: Path
) -> None:
    # H.264 at a variable frame rate, rotated, with a timecode track; its audio starts 2 s in and ends 4 s
    # before the video does
    s = mediakinds.clip(10.0)
    src = mediakinds._phone_mp4(tmp_path / "phone.mov", s, 16.0, vfr=True, rotate=True, timecode=True,
                                audio_start_s=2.0, fmt="mov")  # fmt: skip
    app = make_app(tiny_whisper_package)
    final = app.run(app.submit(src, FAST)[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    t = transcript_of(app, final)
    assert [k["label"] for k in t["tracks"]] == ["Track 1 (stream #1)"]
    assert t["source"]["duration_s"] == pytest.approx(12.0, abs=0.06)
    assert t["segments"], "the tiny model decoded nothing from 10 s of speech"
    spans = [(seg["start"], seg["end"]) for seg in t["segments"]]
    assert all(2.0 - 0.06 <= a <= b <= 12.0 + 0.06 for a, b in spans), spans


def test_opposite_phase_stereo_through_the_pipeline_is_transcribed(
    make_app: MakeApp, tiny_whisper_package: Path, tmp_path: Path
) -> None:
    s = mediakinds.clip(10.0)
    src = mediagen.write_tracks(tmp_path / "inv.wav", [AudioTrack(np.stack([s, -s]))], fmt="wav", codec="pcm_s16le",
                                rate=SR)  # fmt: skip
    app = make_app(tiny_whisper_package)
    final = app.run(app.submit(src, FAST)[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    t = transcript_of(app, final)
    assert t["tracks"][0]["speech_s"] > 5.0 and t["segments"]


@pytest.mark.parametrize(("name", "code"), [("wav_sample_rate_absurd", "media.unsupported_audio"),
                                            ("mkv_channels_absurd", "media.unsupported_audio"),
                                            ("mp3_cut_in_half", "media.truncated")])  # fmt: skip
def test_hostile_file_fails_the_job_once_with_its_reason(
    make_app: MakeApp, tiny_whisper_package: Path, tmp_path: Path, name: str, code: str
) -> None:
    path = _kinds()[name].make(tmp_path)
    before = path.read_bytes()
    app = make_app(tiny_whisper_package)
    job, _ = app.submit(path, FAST)
    final = app.run(job)
    assert final.status is JobStatus.FAILED and final.error is not None
    assert final.error.code == code and final.error.message, final.error
    assert path.read_bytes() == before
    assert [n.kind for n in app.jobs.list_notifications("local")] == ["failed"]
