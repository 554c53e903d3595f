"""Every file that shapes evidence is used from the bytes that were checked: the graphs of the Bergamot
translator, the speaker encoder and Silero VAD (like Whisper's, test_model_pinning), and the tokenizers
and configs of every package (a swapped vocabulary would put other words in the transcript). A file
replaced after its package was verified, or a VAD graph that is not the pinned one, is refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx
import pytest
from onnx import TensorProto, helper

import shared.diarization.encoder as encoder_module
import shared.inference.bergamot as bergamot_module
import shared.inference.whisper as whisper_module
from shared.diarization.embeddings import SpeakerEncoder
from shared.inference.bergamot import BergamotEngine
from shared.inference.package import PackageIntegrityError, clear_verification_cache
from shared.inference.whisper import WhisperEngine
from shared.media.vad import PINNED_SHA256, SileroVad, VadModelError, verified_vad_model


def _swap_after_open(monkeypatch: pytest.MonkeyPatch, module: Any, opener: str, target: str,
                     replacement: bytes) -> None:
    """Make ``module.opener`` verify the package as usual, then replace ``target`` inside it: the
    window between the check and the session that an attacker with write access would use."""
    real: Callable[..., Any] = getattr(module, opener)

    def open_then_swap(path: Path, *args: Any, **kwargs: Any) -> Any:
        pkg = real(path, *args, **kwargs)
        (Path(path) / target).write_bytes(replacement)
        return pkg

    monkeypatch.setattr(module, opener, open_then_swap)


def _silero_shaped_graph() -> bytes:
    """A valid ONNX graph with Silero's inputs and outputs, and none of its weights."""
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 576]),
              helper.make_tensor_value_info("state", TensorProto.FLOAT, [2, 1, 128]),
              helper.make_tensor_value_info("sr", TensorProto.INT64, [])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1]),
               helper.make_tensor_value_info("stateN", TensorProto.FLOAT, [2, 1, 128])]
    nodes = [helper.make_node("ReduceMean", ["input"], ["output"], keepdims=1, axes=[1]),
             helper.make_node("Identity", ["state"], ["stateN"])]
    model = helper.make_model(helper.make_graph(nodes, "not-silero", inputs, outputs),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_bergamot_runs_the_bytes_it_verified(tiny_bergamot_package: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "bergamot"
    shutil.copytree(tiny_bergamot_package, package)
    clear_verification_cache()
    BergamotEngine(package)  # the untouched copy loads
    other_graph = (package / "decoder_step_model.onnx").read_bytes()  # valid ONNX, not the encoder
    _swap_after_open(monkeypatch, bergamot_module, "open_package", "encoder_model.onnx", other_graph)
    with pytest.raises(PackageIntegrityError, match=r"modified file: encoder_model\.onnx"):
        BergamotEngine(package)


def _same_json_other_bytes(path: Path) -> bytes:
    """The file's JSON, written again with other spacing: same meaning, not the bytes the manifest lists."""
    return json.dumps(json.loads(path.read_bytes()), indent=1).encode("utf-8")


def test_tokenizers_are_read_from_the_bytes_that_were_verified(tiny_whisper_package: Path,
                                                               tiny_bergamot_package: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    whisper, bergamot = tmp_path / "whisper", tmp_path / "bergamot"
    shutil.copytree(tiny_whisper_package, whisper)
    shutil.copytree(tiny_bergamot_package, bergamot)
    clear_verification_cache()
    WhisperEngine(whisper)
    _swap_after_open(monkeypatch, whisper_module, "open_package", "tokenizer.json",
                     _same_json_other_bytes(whisper / "tokenizer.json"))
    with pytest.raises(PackageIntegrityError, match=r"modified file: tokenizer\.json"):
        WhisperEngine(whisper)
    _swap_after_open(monkeypatch, bergamot_module, "open_package", "target_tokenizer.json",
                     _same_json_other_bytes(bergamot / "target_tokenizer.json"))
    with pytest.raises(PackageIntegrityError, match=r"modified file: target_tokenizer\.json"):
        BergamotEngine(bergamot)


def test_speaker_encoder_runs_the_bytes_it_verified(speaker_package_copy: Path, vad_model_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    SpeakerEncoder(speaker_package_copy)  # the untouched copy loads
    _swap_after_open(monkeypatch, encoder_module, "open_speaker_package", "speaker_encoder.onnx",
                     vad_model_path.read_bytes())
    with pytest.raises(PackageIntegrityError, match=r"modified file: speaker_encoder\.onnx"):
        SpeakerEncoder(speaker_package_copy)


def test_only_the_pinned_silero_graph_runs(vad_model_path: Path, tmp_path: Path) -> None:
    assert len(verified_vad_model(vad_model_path)) > 1_000_000  # the pinned graph (silero-vad 6.2.3)
    SileroVad(vad_model_path)
    impostor = tmp_path / "silero_vad.onnx"  # right inputs, so only the pin can tell
    impostor.write_bytes(_silero_shaped_graph())
    with pytest.raises(VadModelError, match="not the pinned Silero VAD"):
        SileroVad(impostor)
    edited = tmp_path / "edited.onnx"  # one byte changed in the real graph
    data = bytearray(vad_model_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    edited.write_bytes(bytes(data))
    with pytest.raises(VadModelError):
        SileroVad(edited)
    assert len(PINNED_SHA256) == 1


@pytest.fixture
def speaker_package_copy(tmp_path: Path) -> Path:
    from models.fetch import speaker_model_path

    copy = tmp_path / "speaker"
    shutil.copytree(speaker_model_path(), copy)
    return copy
