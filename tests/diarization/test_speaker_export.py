"""The exported speaker encoder against Resemblyzer itself (PyTorch module and librosa mel front end)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.export.speaker import load_resemblyzer, parity_windows
from models.fetch import fetch_speaker_assets
from shared.diarization.embeddings import SpeakerEncoder
from shared.diarization.features import mel_spectrogram, normalize_volume
from shared.diarization.package import PackageIntegrityError, open_speaker_package

pytestmark = pytest.mark.slow  # imports librosa (numba) and torch for the reference


@pytest.fixture(scope="module")
def resemblyzer() -> tuple:
    return load_resemblyzer(fetch_speaker_assets()[0])


def test_numpy_mel_matches_resemblyzer(resemblyzer: tuple, sample_audio: np.ndarray) -> None:
    _, rz_audio = resemblyzer
    for clip in (sample_audio[: 16000 * 4], sample_audio[16000 * 10 : 16000 * 11 + 123]):  # odd length too
        ref = rz_audio.wav_to_mel_spectrogram(clip)
        got = mel_spectrogram(clip)
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6 * float(ref.max()))


def test_onnx_embeddings_match_pytorch_on_speech(resemblyzer: tuple, encoder: SpeakerEncoder,
                                                 sample_audio: np.ndarray) -> None:
    import torch

    model, rz_audio = resemblyzer
    clips = [normalize_volume(w) for w in parity_windows(sample_audio[16000 * 6 : 16000 * 16])]
    with torch.no_grad():
        ref = model(torch.from_numpy(np.stack([rz_audio.wav_to_mel_spectrogram(c) for c in clips]))).numpy()
    got = encoder.embed(clips)
    cos = np.sum(ref * got, axis=1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1))
    assert cos.min() >= 0.9999
    # different voices really give different embeddings (the check is not trivially satisfied)
    assert float(np.min(got @ got.T)) < 0.95


def test_manifest_records_hashes_and_passed_parity(speaker_package: Path) -> None:
    pkg = open_speaker_package(speaker_package)
    m = pkg.manifest
    assert m["task"] == "speaker-embedding" and m["embedding_dim"] == 256
    assert m["parity"]["passed"] and m["parity"]["min_cosine"] >= 0.9999
    assert m["source"]["id"] == "resemblyzer==0.1.4" and len(m["source"]["sha256"]) == 64
    assert set(m["files"]) == {"speaker_encoder.onnx", "LICENSE"}


def test_tampered_package_is_refused(speaker_package: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pkg"
    shutil.copytree(speaker_package, copy)
    with open(copy / "LICENSE", "ab") as f:
        f.write(b" ")
    with pytest.raises(PackageIntegrityError, match="modified"):
        open_speaker_package(copy)
    manifest = json.loads((copy / "model.json").read_text())
    manifest["task"] = "translation"
    (copy / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(PackageIntegrityError, match="not a speaker-embedding package"):
        open_speaker_package(copy)


def test_cli_dispatches_speaker_kind(speaker_package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from models.export.__main__ import main

    assert main(["speaker", str(fetch_speaker_assets()[0]), str(speaker_package)]) == 1
    assert "exists; pass --force" in capsys.readouterr().err
