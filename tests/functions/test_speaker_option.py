"""The ``speakers`` job option: one rule for the API (tests/functions/test_api.py), blob metadata and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.intake import clean_options, options_from_metadata
from functions.local.cli import main


@pytest.mark.parametrize(("given", "stored"), [("auto", "auto"), ("3", "3"), (2, "2"), (" 2 - 4 ", "2-4")])
def test_a_count_or_range_is_stored_in_its_canonical_form(given: object, stored: str) -> None:
    assert clean_options({"speakers": given}) == {"speakers": stored}


def test_off_or_absent_leaves_the_job_undiarized() -> None:
    assert clean_options({"speakers": "off"}) == {} == clean_options({"speakers": None}) == clean_options({})


@pytest.mark.parametrize("bad", ["many", "0", "4-2", "99", True, 2.5, ["2"]])
def test_a_bad_count_is_refused_with_the_reason(bad: object) -> None:
    with pytest.raises(ValueError, match="speaker"):
        clean_options({"speakers": bad})


def test_blob_metadata_may_ask_for_speakers() -> None:
    assert options_from_metadata({"speakers": "2-3"}) == ({"speakers": "2-3"}, None)
    assert options_from_metadata({"speakers": "lots"})[1] is not None


def test_the_cli_refuses_a_bad_count_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path), "transcribe", str(tmp_path / "x.wav"), "--speakers", "3-1"])
    assert "speaker count" in capsys.readouterr().err


def test_the_cli_labels_speakers_unless_told_off() -> None:
    from functions.local.cli import _options, build_parser

    for command in ("transcribe", "watch"):
        on = _options(build_parser().parse_args([command, "x.wav"]))
        off = _options(build_parser().parse_args([command, "x.wav", "--speakers", "off"]))
        assert on["speakers"] == "auto" and "speakers" not in off
    with pytest.raises(SystemExit, match="speaker-names"):
        _options(build_parser().parse_args(["transcribe", "x.wav", "--speakers", "off", "--speaker-names", "A,B"]))
