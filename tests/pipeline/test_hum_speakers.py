"""Every VAD of a job hears the audio alike: a recording under mains hum (50 Hz at -10 dBFS, 150 Hz at
-30 dBFS) whose speech planning finds through the high-pass must not lose that speech later, neither to
the segment guard (``refuse_unspoken``) nor to the diarization's speech regions. Pyannote's real
two-speaker sample, the tiny exported Whisper model (text is not the point here) and the real speaker
encoder. Its two speakers are told apart (``shared.diarization.interference``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shared.domain import JobStatus
from shared.media import NO_SPEECH_HEARD, load_audio
from tests.fixtures.mediagen import SR, load_sample, write_media
from tests.fixtures.pipeline import MakeApp, transcript_of

pytestmark = pytest.mark.slow


def test_speech_under_mains_hum_is_kept_and_every_segment_gets_a_speaker(
    make_app: MakeApp, tiny_whisper_package: Path, tmp_path: Path
) -> None:
    s = load_sample()
    t = np.arange(len(s)) / SR
    hum = 0.3 * np.sin(2 * np.pi * 50 * t) + 0.03 * np.sin(2 * np.pi * 150 * t)
    src = tmp_path / "cctv.wav"
    write_media(src, (0.5 * s + hum).astype(np.float32), fmt="wav", codec="pcm_s16le")
    assert np.abs(load_audio(src) - (0.5 * s + hum)).max() < 1e-3  # the hum is in the file as made
    app = make_app(tiny_whisper_package)
    final = app.run(app.submit(src, {"formats": ["json"], "beam_size": 1, "speakers": "auto"})[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    tr = transcript_of(app, final)
    assert tr["tracks"][0]["speech_s"] > 15.0  # planning hears the speech through the hum
    assert [k for k in tr["skipped"] if k["reason"] == NO_SPEECH_HEARD] == []
    assert tr["segments"], "the segments decoded over the speech were all refused"
    assert tr["diarization"] is not None
    assert tr["diarization"]["speaker_count"] == 2  # the speaker features hear the hum high-passed away
    assert all(seg["speaker"] or seg.get("overlap") for seg in tr["segments"]), \
        [(seg["start"], seg["speaker"]) for seg in tr["segments"]]
