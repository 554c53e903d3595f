"""The orchestrator ↔ activity contracts (functions/contracts.py): names, types and wire form."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import typing
from typing import Any

import pytest
from azure.durable_functions.models.utils.df_serialization import df_loads

from functions import contracts
from functions.contracts import STRICT_TYPING, Contract, ErrorInfo, FailJob, JobStep, MergeTranscript, Rejected
from functions.orchestrator import wire_type
from functions.registry import ACTIVITIES, GUARDED, SELF_GUARDED

ALL = [c for c in vars(contracts).values() if isinstance(c, type) and issubclass(c, Contract) and c is not Contract]
CONTENT = {"text", "texts", "audio", "transcript", "words", "translation"}  # evidence travels in blobs only


def _contracts_in(hint: Any) -> set[type]:
    args = typing.get_args(hint) or (hint,)
    return {a for a in args if isinstance(a, type) and issubclass(a, Contract)}


@pytest.mark.parametrize("fn", GUARDED + SELF_GUARDED, ids=lambda fn: fn.__name__)
def test_every_activity_takes_a_job_step_and_answers_a_contract_or_nothing(fn: Any) -> None:
    hints = typing.get_type_hints(fn)
    (param,) = inspect.signature(fn).parameters
    assert issubclass(hints[param], JobStep)
    answer = hints["return"]
    assert answer is type(None) or _contracts_in(answer), answer
    assert wire_type(fn) is (type(None) if answer is type(None) else dict)
    assert fn.__name__ in ACTIVITIES  # registered under its own name: the one the orchestrator calls


def test_the_registry_names_come_from_the_functions_once() -> None:
    names = [fn.__name__ for fn in GUARDED + SELF_GUARDED]
    assert len(names) == len(set(names)) == len(ACTIVITIES) and set(names) == set(ACTIVITIES)


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.__name__)
def test_no_contract_carries_evidence_content(contract: type[Contract]) -> None:
    assert not {f.name for f in dataclasses.fields(contract)} & CONTENT  # type: ignore[arg-type]


def test_round_trip_is_plain_json_with_nested_contracts_and_tuples() -> None:
    failed = FailJob(job_id="job-1", force_id="met", attempt=2, error=ErrorInfo(code="media.not_media", message="x"))
    wire = json.loads(json.dumps(failed.to_dict()))
    assert wire == {"job_id": "job-1", "force_id": "met", "attempt": 2,
                    "error": {"code": "media.not_media", "message": "x"}}
    assert FailJob.from_dict(wire) == failed
    merge = MergeTranscript.from_dict({"job_id": "j", "force_id": "met", "refs": ["work/j/a1/a.json"]})
    assert merge.refs == ("work/j/a1/a.json",) and merge.attempt is None and merge.task == "transcribe"
    assert Rejected.from_dict({"error": {"code": "c", "message": "m"}}).error == ErrorInfo(code="c", message="m")


def test_a_payload_missing_a_field_is_refused() -> None:
    with pytest.raises(ValueError, match="MergeTranscript"):
        MergeTranscript.from_dict({"job_id": "j", "force_id": "met"})
    with pytest.raises(ValueError, match="expected an object"):
        JobStep.from_dict(["j"])  # type: ignore[arg-type]


def test_the_sdk_runs_with_strict_typing_in_tests() -> None:
    assert os.environ[STRICT_TYPING] == "1"
    assert df_loads('{"ref": "work/j/a1/x.json"}', expected_type=dict) == {"ref": "work/j/a1/x.json"}
    with pytest.raises(TypeError):  # a result that is not what the orchestrator expects is refused
        df_loads("[1]", expected_type=dict)


def test_contracts_are_frozen_keyword_only_dataclasses() -> None:
    step = JobStep(job_id="j", force_id="met", attempt=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.attempt = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        JobStep("j", "met")  # type: ignore[call-arg]
    assert all(dataclasses.is_dataclass(c) for c in ALL)
