"""Which speaker embedder each mode composes (shared.services): the in-process encoder locally, pinned when a
digest is set; in Azure the GPU service, at the Whisper service's URL unless TOEX_SPEAKER_URL names another."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.inference_speaker import HttpSpeakerEmbedder
from shared.assets import ensure_speaker_model
from shared.diarization.encoder import SpeakerEncoder
from shared.inference.package import PackageIntegrityError
from shared.services import build_local, remote_speaker_embedder
from shared.settings import Settings


def test_local_mode_embeds_in_process_and_honours_the_pin(tmp_path: Path) -> None:
    digest = SpeakerEncoder(ensure_speaker_model()).model.sha256
    pinned = build_local(Settings(mode="local", data_dir=tmp_path / "a", speaker_model_digest=digest))
    assert isinstance(pinned.speaker_embedder, SpeakerEncoder) and pinned.speaker_embedder.model.sha256 == digest
    other = build_local(Settings(mode="local", data_dir=tmp_path / "b", speaker_model_digest="0" * 64))
    with pytest.raises(PackageIntegrityError, match="not the pinned"):
        _ = other.speaker_embedder


def test_azure_mode_calls_the_whisper_service_unless_told_otherwise() -> None:
    settings = Settings(mode="azure", whisper_url="https://whisper.internal/", inference_timeout_s=42.0,
                        speaker_model_digest="ab" * 32)
    default = remote_speaker_embedder(settings)
    assert isinstance(default, HttpSpeakerEmbedder)
    assert (default.base_url, default.timeout_s, default.expected_digest) == ("https://whisper.internal", 42.0,
                                                                             "ab" * 32)
    moved = remote_speaker_embedder(Settings(mode="azure", whisper_url="https://whisper.internal",
                                             speaker_url="https://speaker.internal"))
    assert isinstance(moved, HttpSpeakerEmbedder) and moved.base_url == "https://speaker.internal"


def test_the_speaker_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOEX_SPEAKER_URL", "https://speaker.internal")
    monkeypatch.setenv("TOEX_SPEAKER_MODEL_DIGEST", "AB" * 32)
    s = Settings.from_env()
    assert (s.speaker_url, s.speaker_model_digest) == ("https://speaker.internal", "ab" * 32)
