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


def test_the_deployment_default_applies_when_the_submitter_names_no_count() -> None:
    assert options_from_metadata({}, "auto") == ({"speakers": "auto"}, None)
    assert options_from_metadata({"speakers": "off"}, "auto") == ({}, None)  # an explicit off stays off
    assert options_from_metadata({"speakers": "2"}, "auto") == ({"speakers": "2"}, None)
    assert options_from_metadata({}, "off") == ({}, None) == options_from_metadata({})


def test_the_local_hosts_default_to_auto_and_the_environment_can_turn_it_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.local.cli import _settings, build_parser

    monkeypatch.delenv("TOEX_DEFAULT_SPEAKERS", raising=False)
    assert _settings(build_parser().parse_args(["web"])).default_speakers == "auto"
    monkeypatch.setenv("TOEX_DEFAULT_SPEAKERS", "off")
    assert _settings(build_parser().parse_args(["web"])).default_speakers == "off"


def test_an_api_submission_gets_the_deployment_default(app_functions: dict[str, object],
                                                        intake_factory: object) -> None:
    from tests.functions.test_api import ACCOUNT_URL, AUDIO, Api

    intake = intake_factory(forces=("met",), default_speakers="auto")  # type: ignore[operator]
    api = Api(app_functions, intake)  # type: ignore[arg-type]
    intake.upload("met/case/one.wav", AUDIO)
    url = f"{ACCOUNT_URL}/incoming/met/case/one.wav"
    status, job = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url})
    assert status == 202 and job["options"] == {"speakers": "auto"}
    status, off = api.call("api_submit_job", "POST", "v1/jobs", body={"blobUrl": url, "options": {"speakers": "off"}})
    assert status == 202 and off["options"] == {} and off["job_id"] != job["job_id"]
