"""Fixtures for the Functions app tests (helpers in tests/functions/helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.local.client import RunnerClient
from functions.local.runner import LocalOrchestrationRunner
from functions.local.taskhub import TaskHub
from functions.registry import ACTIVITIES, ORCHESTRATORS
from shared.services import build_local, set_services
from tests.functions.helpers import Intake, make_settings


@pytest.fixture
def intake_factory(tmp_path: Path) -> Iterator[Any]:
    made: list[Intake] = []

    def make(**settings: Any) -> Intake:
        data = tmp_path / f"data{len(made)}"
        services = build_local(make_settings(data, **settings))
        set_services(services)
        runner = LocalOrchestrationRunner(TaskHub(data / "taskhub.db"), ORCHESTRATORS, ACTIVITIES,
                                          max_workers=2, retry_interval_scale=0.001)
        made.append(Intake(services, runner, RunnerClient(runner)))
        return made[-1]

    yield make
    set_services(None)


@pytest.fixture
def intake(intake_factory: Any) -> Intake:
    return intake_factory(forces=("met", "kent"))


@pytest.fixture(scope="session")
def app_functions() -> dict[str, Any]:
    """``function_app.app.get_functions()`` by name (indexing may run only once per app object)."""
    import function_app

    return {fn.get_function_name(): fn for fn in function_app.app.get_functions()}
