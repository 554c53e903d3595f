"""Real speaker encoder (exported once from the pinned Resemblyzer wheel), real audio, real voices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import dialogues
from models.fetch import fetch_speaker_assets, sample_path, speaker_model_path, vad_model_path
from shared.diarization.embeddings import SpeakerEncoder, SpeakerWindows, embed_chunk
from shared.media import load_audio
from shared.media.vad import SileroVad


@pytest.fixture(scope="session")
def speaker_package() -> Path:
    return speaker_model_path()


@pytest.fixture(scope="session")
def encoder(speaker_package: Path) -> SpeakerEncoder:
    return SpeakerEncoder(speaker_package)


@pytest.fixture(scope="session")
def vad() -> SileroVad:
    return SileroVad(vad_model_path())


@pytest.fixture(scope="session")
def sample_audio() -> np.ndarray:
    return load_audio(sample_path())


@pytest.fixture(scope="session")
def sample_reference() -> list[dialogues.Turn]:
    return dialogues.read_rttm(fetch_speaker_assets()[1])


@pytest.fixture(scope="session")
def sample_windows(sample_audio: np.ndarray, encoder: SpeakerEncoder, vad: SileroVad) -> SpeakerWindows:
    return embed_chunk(sample_audio, 0.0, encoder, vad)


@pytest.fixture(scope="session")
def dialogue3() -> dialogues.Dialogue:
    return dialogues.build("dialogue-3")


@pytest.fixture(scope="session")
def monologue() -> dialogues.Dialogue:
    return dialogues.build("monologue-1")
