"""The Durable client of the local host: what ``DurableOrchestrationClient`` offers the app, over the runner.

Like the real client it is async; ``get_status`` answers a ``DurableOrchestrationStatus`` (its
``runtime_status`` is None for an unknown instance, as the real client's 404 answer) and ``terminate``
raises for an unknown instance. The intake and lifecycle functions take it where Azure passes the
Durable client binding, so the local host submits, retries and cancels through the same code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from functions.local.runner import LocalOrchestrationRunner


class RunnerClient:
    """The Durable client surface the app uses, backed by :class:`LocalOrchestrationRunner`."""

    def __init__(self, runner: LocalOrchestrationRunner) -> None:
        self.runner = runner
        self.starts: list[tuple[str, str, Any]] = []
        self.terminated: list[tuple[str, str]] = []

    async def start_new(self, orchestration_function_name: str, instance_id: str | None = None,
                        client_input: Any = None) -> str:
        await asyncio.sleep(0)  # a real client awaits an HTTP call here
        if instance_id is None:
            raise ValueError("the local client needs the instance id")
        if self.runner.start_new(orchestration_function_name, instance_id, client_input):
            self.starts.append((orchestration_function_name, instance_id, client_input))
        return instance_id

    async def get_status(self, instance_id: str) -> DurableOrchestrationStatus:
        await asyncio.sleep(0)
        status = self.runner.get_status(instance_id)
        return DurableOrchestrationStatus.from_json(status) if status else DurableOrchestrationStatus()

    async def terminate(self, instance_id: str, reason: str) -> None:
        await asyncio.sleep(0)
        if self.runner.get_status(instance_id) is None:
            raise Exception(f"No instance with ID '{instance_id}' found.")
        self.runner.terminate(instance_id, reason)
        self.terminated.append((instance_id, reason))
