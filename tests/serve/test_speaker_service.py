"""Speaker embeddings on the inference service: the real app under uvicorn, the real Resemblyzer speaker
package, the real two-voice pyannote sample, driven through the real HTTP adapter (shared secret auth), and
through the local pipeline with the adapter the Azure composition uses."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import requests

from functions.gpu.app import create_app
from functions.gpu.auth import AuthSettings
from functions.gpu.config import ServeConfig
from shared.adapters.inference_http import InferenceError
from shared.adapters.inference_speaker import HttpSpeakerEmbedder
from shared.assets import ensure_speaker_model, sample_path, vad_model_path
from shared.diarization.diarize import diarize
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows
from shared.diarization.pipeline import chunk_speakers
from shared.domain import JobStatus
from shared.domain.audio_format import SAMPLE_RATE
from shared.inference import wire
from shared.media import encode_flac, load_audio
from shared.media.vad import SileroVad
from shared.services import set_services
from tests.fixtures.pipeline import MakeApp, without_run_identity
from tests.fixtures.serve import serve
from tests.serve.test_app import wait_ready

SECRET = "s" * 40
CPU = ("CPUExecutionProvider",)


class SecretCredential:
    """The shared-secret mode's bearer, handed out the way an Entra credential hands out tokens."""

    def get_token(self, scope: str) -> SimpleNamespace:
        return SimpleNamespace(token=SECRET)


def config(package: Path, **kw: object) -> ServeConfig:
    base: dict[str, object] = {"providers": CPU, "intra_op_threads": 1, "model_wait_s": 60.0, "retry_after_s": 1,
                               "auth": AuthSettings(mode="secret", secret=SECRET), "speaker_dir": package}
    return ServeConfig(**{**base, **kw})  # type: ignore[arg-type]


def embedder(url: str, **kw: object) -> HttpSpeakerEmbedder:
    kw = {"timeout_s": 120.0, "credential": SecretCredential(), "scope": "api://toex/.default",
          "max_attempts": 2, "backoff_base_s": 0.05, **kw}
    return HttpSpeakerEmbedder(url, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def package() -> Path:
    return ensure_speaker_model()


@pytest.fixture(scope="module")
def local(package: Path) -> SpeakerEncoder:
    return SpeakerEncoder(package)


@pytest.fixture(scope="module")
def service(package: Path, local: SpeakerEncoder):
    """A speaker-only service pinned to the package's own digest."""
    with serve(create_app(config(package, speaker_digest=local.model.sha256, max_speaker_windows=200))) as url:
        body = wait_ready(url)
        assert body["ready"], body
        yield url


@pytest.fixture(scope="module")
def chunks() -> list[tuple[bytes, float]]:
    """The pyannote sample (two real voices) as two FLAC chunks, as the pipeline cuts a recording."""
    audio = load_audio(sample_path())
    half = (len(audio) // 2 // SAMPLE_RATE) * SAMPLE_RATE
    return [(encode_flac(audio[:half]), 0.0), (encode_flac(audio[half:]), half / SAMPLE_RATE)]


def test_embeddings_over_http_equal_in_process(service: str, local: SpeakerEncoder,
                                               chunks: list[tuple[bytes, float]]) -> None:
    remote = embedder(service)
    flac = chunks[0][0]
    audio = load_audio(flac)
    windows = [(0.0, 1.5), (0.75, 2.25), (3.1, 3.4), (10.0, 11.5), (len(audio) / SAMPLE_RATE - 1.0,
                                                                    len(audio) / SAMPLE_RATE)]
    expected = local.embed_windows(audio, windows)
    got = remote.embed_windows(audio, windows, flac=flac)
    assert got.dtype == np.float32 and got.shape == expected.shape == (5, local.model.embedding_dim)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    assert remote.model == local.model
    assert remote.embed_windows(audio, []).shape == (0, local.model.embedding_dim)
    # without the chunk's FLAC the adapter encodes the samples itself (lossless for 16-bit audio)
    np.testing.assert_allclose(remote.embed_windows(audio, windows[:2]), expected[:2], atol=1e-5, rtol=0)


def test_diarization_over_http_equals_local(service: str, local: SpeakerEncoder,
                                            chunks: list[tuple[bytes, float]]) -> None:
    vad = SileroVad(vad_model_path())
    remote = embedder(service)
    here = [chunk_speakers(flac, offset, local, vad) for flac, offset in chunks]
    there = [chunk_speakers(flac, offset, remote, vad) for flac, offset in chunks]
    for a, b in zip(here, there, strict=True):
        assert {k: v for k, v in a.items() if k != "vectors"} == {k: v for k, v in b.items() if k != "vectors"}
        np.testing.assert_allclose(SpeakerWindows.from_dict(b).vectors, SpeakerWindows.from_dict(a).vectors,
                                   atol=1e-5, rtol=0)
    assert sum(len(p["starts"]) for p in here) > 20
    expected = diarize([SpeakerWindows.from_dict(p) for p in here])
    got = diarize([SpeakerWindows.from_dict(p) for p in there])
    assert expected.count == 2  # the sample's two speakers, so the comparison is not vacuous
    assert got.turns == expected.turns and got.speakers == expected.speakers


def test_callers_without_the_secret_are_refused(service: str, chunks: list[tuple[bytes, float]]) -> None:
    flac = chunks[0][0]
    body = wire.SpeakerRequest(((0.0, 1.5),), flac).to_bytes()
    for headers in ({}, {"Authorization": "Bearer wrong-secret"}, {"Authorization": f"Basic {SECRET}"}):
        r = requests.post(f"{service}{wire.SPEAKER_PATH}", data=body, headers=headers, timeout=30)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    with pytest.raises(InferenceError) as ei:
        HttpSpeakerEmbedder(service, timeout_s=30).embed_windows(load_audio(flac), [(0.0, 1.5)], flac=flac)
    assert ei.value.status == 401


def test_bad_input_is_a_clear_4xx(service: str, chunks: list[tuple[bytes, float]]) -> None:
    flac = chunks[0][0]
    seconds = len(load_audio(flac)) / SAMPLE_RATE
    url, auth = f"{service}{wire.SPEAKER_PATH}", {"Authorization": f"Bearer {SECRET}"}

    def post(body: bytes) -> requests.Response:
        return requests.post(url, data=body, headers=auth, timeout=30)

    cases = [
        (b"not json", 400, "invalid speaker-embeddings request"),
        (json.dumps({"windows": [[0, 1.5]]}).encode(), 400, "'windows' and 'audio_flac'"),
        (wire.SpeakerRequest((), flac).to_bytes(), 400, "no window"),
        (json.dumps({"windows": [[2.0, 1.0]], "audio_flac": ""}).encode(), 400, "start < end"),
        (json.dumps({"windows": [[0, 1]], "audio_flac": "@@@"}).encode(), 400, "invalid speaker"),
        (wire.SpeakerRequest(((0.0, 1.5),), b"this is not audio").to_bytes(), 400, "no audio could be decoded"),
        (wire.SpeakerRequest(((seconds - 1, seconds + 2),), flac).to_bytes(), 400, "after the audio"),
        (wire.SpeakerRequest(((1.0, 1.01),), flac).to_bytes(), 400, "shorter than"),
        (wire.SpeakerRequest(((0.0, 1.5),) * 201, flac).to_bytes(), 413, "at most 200 windows"),
    ]
    for body, status, reason in cases:
        r = post(body)
        assert r.status_code == status and reason in r.json()["detail"], (reason, r.text)
    with pytest.raises(InferenceError) as ei:  # final, not retried
        embedder(service).embed_windows(np.zeros(0, np.float32), [(0.0, 1.5)], flac=b"not audio")
    assert ei.value.status == 400


def test_one_app_serves_whisper_and_speakers(package: Path, tiny_whisper_package: Path,
                                            local: SpeakerEncoder, chunks: list[tuple[bytes, float]]) -> None:
    """The Azure layout: the whisper app also loads the speaker package; both roles answer."""
    with serve(create_app(config(package, whisper_dir=Path(tiny_whisper_package)))) as url:
        body = wait_ready(url)
        assert body["ready"] and set(body["models"]) == {"whisper", "speaker"}, body
        summary = requests.get(f"{url}{wire.MODEL_PATH}", headers={"Authorization": f"Bearer {SECRET}"},
                               timeout=10).json()
        assert summary["whisper"]["sha256"] and summary["speaker"]["sha256"] == local.model.sha256
        assert summary["translation"] is None
        flac = chunks[0][0]
        audio = load_audio(flac)
        np.testing.assert_allclose(embedder(url).embed_windows(audio, [(1.0, 2.5)], flac=flac),
                                   local.embed_windows(audio, [(1.0, 2.5)]), atol=1e-5, rtol=0)


def test_the_pinned_digest_is_enforced(package: Path, local: SpeakerEncoder, service: str) -> None:
    with serve(create_app(config(package, speaker_digest="0" * 64))) as url:
        body = wait_ready(url)
    assert not body["ready"] and body["models"]["speaker"]["reason"].startswith("integrity")
    with pytest.raises(InferenceError, match="not the pinned"):
        _ = embedder(service, expected_digest="0" * 64).model
    assert embedder(service, expected_digest=local.model.sha256).model == local.model


def test_logs_carry_no_audio_nor_vectors(service: str, chunks: list[tuple[bytes, float]],
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    flac = chunks[1][0]
    got = embedder(service).embed_windows(load_audio(flac), [(0.5, 2.0), (2.0, 3.5)], flac=flac)
    assert "route=speaker status=200" in caplog.text and "embedded id=" in caplog.text and "windows=2" in caplog.text
    assert base64.b64encode(flac[1000:1030]).decode()[:24] not in caplog.text
    assert base64.b64encode(got.astype("<f4").tobytes()[:18]).decode() not in caplog.text
    assert f"{float(got[0, 0]):.4f}" not in caplog.text


@pytest.mark.real_model
@pytest.mark.slow
def test_a_job_diarized_through_the_service_gives_the_local_transcript(
    service: str, make_app: MakeApp, whisper_base_int8_package: Path, tmp_path: Path,
) -> None:
    """The Azure composition's speaker adapter in the real pipeline (diarize_chunk on the chunks of the
    pyannote sample played twice, Whisper base): transcript.json equals the in-process encoder's, byte for byte."""
    src = tmp_path / "sample.flac"
    sample = load_audio(sample_path())
    src.write_bytes(encode_flac(np.concatenate([sample, sample])))  # 60 s: two chunks, the voices in both
    app = make_app(whisper_base_int8_package, chunk_minutes=0.5)
    options = {"formats": ["json"], "language": "en", "speakers": "auto"}
    runs = []
    for factory in (None, lambda: embedder(service)):
        if factory is not None:  # what shared.services._build_azure composes, on the same local stores
            app.services = replace(app.services, _speaker_factory=factory, _speaker_embedder=None)
            set_services(app.services)
        job, _ = app.submit(src, options)
        final = app.run(job)
        assert final.status is JobStatus.SUCCEEDED, final.error
        assert final.progress.chunks_total >= 2
        runs.append(without_run_identity(app.blobs.local_path(final.outputs["json"]).read_bytes()))
    assert isinstance(app.services.speaker_embedder, HttpSpeakerEmbedder)
    assert runs[0]["diarization"]["speaker_count"] >= 2
    # every segment has its speaker, or is marked overlapped speech with the speakers involved (schema 1.4)
    assert all(s["speaker"] or (s.get("overlap") is True and len(s["speakers"]) >= 2) for s in runs[0]["segments"])
    assert json.dumps(runs[1], sort_keys=True) == json.dumps(runs[0], sort_keys=True)
