"""The local Durable host: real azure-functions-durable replay, our event bookkeeping."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.models.history import HistoryEventType as Ev

from functions.local.runner import LocalOrchestrationRunner
from functions.local.taskhub import COMPLETED, FAILED, TERMINATED, TaskHub

RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=3)


def fan_out(ctx: df.DurableOrchestrationContext) -> Any:
    n = ctx.get_input()["n"]
    first = yield ctx.call_activity("double", 21)
    parts = yield ctx.task_all([ctx.call_activity_with_retry("flaky", RETRY, i) for i in range(n)])
    ctx.set_custom_status({"stage": "done"})
    return {"first": first, "parts": parts}


def guarded(ctx: df.DurableOrchestrationContext) -> Any:
    try:
        yield ctx.call_activity_with_retry("flaky", RETRY, 99)
    except Exception as exc:
        reason = str(exc).split("\n")[0]
        yield ctx.call_activity("double", 1)
        return {"failed": reason}
    return {"failed": None}


class Activities:
    def __init__(self, failures: dict[int, int]) -> None:
        self.failures = dict(failures)
        self.calls: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

    def table(self) -> dict[str, Any]:
        return {"double": self.double, "flaky": self.flaky}

    def double(self, x: int) -> int:
        with self.lock:
            self.calls.append(("double", x))
        return 2 * x

    def flaky(self, i: int) -> int:
        with self.lock:
            self.calls.append(("flaky", i))
            if self.failures.get(i, 0) > 0:
                self.failures[i] -= 1
                raise RuntimeError(f"transient.error: attempt failed for {i}")
        return i * 10


def make_runner(tmp_path: Path, acts: Activities, workers: int = 3) -> LocalOrchestrationRunner:
    return LocalOrchestrationRunner(
        TaskHub(tmp_path / "hub.db"),
        {"fan_out": fan_out, "guarded": guarded},
        acts.table(),
        max_workers=workers,
        retry_interval_scale=0.001,
    )


def test_fan_out_with_retries_completes_in_order(tmp_path: Path) -> None:
    acts = Activities({1: 2, 3: 1})
    runner = make_runner(tmp_path, acts)
    assert runner.start_new("fan_out", "i1", {"n": 5})
    inst = runner.run("i1")
    assert inst.status == COMPLETED, inst.error
    assert inst.output == {"first": 42, "parts": [0, 10, 20, 30, 40]}
    assert inst.custom_status == {"stage": "done"}
    assert sum(1 for name, i in acts.calls if name == "flaky" and i == 1) == 3
    assert sum(1 for name, i in acts.calls if name == "flaky" and i == 3) == 2
    fired = [e for e in inst.history if e["EventType"] == Ev.TIMER_FIRED]
    assert len(fired) == 3


def test_exhausted_retries_reach_the_orchestrator_with_the_reason(tmp_path: Path) -> None:
    acts = Activities({99: 10})
    runner = make_runner(tmp_path, acts)
    runner.start_new("guarded", "i2", None)
    inst = runner.run("i2")
    assert inst.status == COMPLETED
    assert inst.output == {"failed": "transient.error: attempt failed for 99 "}
    assert [c for c in acts.calls if c[0] == "flaky"] == [("flaky", 99)] * 3


def test_unhandled_failure_fails_the_instance(tmp_path: Path) -> None:
    acts = Activities({0: 10})
    runner = make_runner(tmp_path, acts)
    runner.start_new("fan_out", "i3", {"n": 2})
    inst = runner.run("i3")
    assert inst.status == FAILED
    assert "attempt failed for 0" in (inst.error or "")


def test_start_is_idempotent_and_completed_instances_do_not_rerun(tmp_path: Path) -> None:
    acts = Activities({})
    runner = make_runner(tmp_path, acts)
    assert runner.start_new("fan_out", "i4", {"n": 2})
    assert not runner.start_new("fan_out", "i4", {"n": 2})
    runner.run("i4")
    calls = len(acts.calls)
    assert runner.run("i4").status == COMPLETED
    assert len(acts.calls) == calls
    status = runner.get_status("i4")
    assert status is not None and status["runtimeStatus"] == "Completed"


def test_resume_from_persisted_history_skips_completed_activities(tmp_path: Path) -> None:
    """A run that died after some activities completed: the new run schedules only the rest."""
    acts = Activities({})
    runner = make_runner(tmp_path, acts, workers=1)
    runner.start_new("fan_out", "i5", {"n": 4})
    inst = runner.run("i5")
    full = inst.history
    # cut the history just after the second flaky activity completed, as a crash would leave it
    completed = [k for k, e in enumerate(full) if e["EventType"] == Ev.TASK_COMPLETED]
    cut = completed[2] + 1
    hub = runner.hub
    inst.history, inst.status, inst.output = full[:cut], "Running", None
    hub.save(inst)
    again = Activities({})
    runner2 = make_runner(tmp_path, again, workers=1)
    resumed = runner2.run("i5")
    assert resumed.status == COMPLETED
    assert resumed.output == {"first": 42, "parts": [0, 10, 20, 30]}
    done_before = {e["TaskScheduledId"] for e in full[:cut] if e["EventType"] == Ev.TASK_COMPLETED}
    scheduled = {e["EventId"]: e for e in full if e["EventType"] == Ev.TASK_SCHEDULED}
    rerun = sorted(again.calls)
    assert rerun == sorted(("flaky", int(scheduled[i]["Input"])) for i in scheduled if i not in done_before)


def test_terminate_stops_between_episodes(tmp_path: Path) -> None:
    gate = threading.Event()
    acts = Activities({})

    def slow(i: int) -> int:
        gate.wait(5)
        return i

    table = {**acts.table(), "flaky": slow}
    runner = LocalOrchestrationRunner(TaskHub(tmp_path / "hub.db"), {"fan_out": fan_out}, table, max_workers=2)
    runner.start_new("fan_out", "i6", {"n": 2})
    t = threading.Thread(target=runner.run, args=("i6",))
    t.start()
    assert runner.terminate("i6", "officer cancelled")
    gate.set()
    t.join(10)
    status = runner.get_status("i6")
    assert status is not None and status["runtimeStatus"] == TERMINATED
    assert "officer cancelled" in status["error"]


@pytest.mark.parametrize("name", ["nope"])
def test_unknown_orchestrator_is_refused(tmp_path: Path, name: str) -> None:
    runner = make_runner(tmp_path, Activities({}))
    with pytest.raises(KeyError):
        runner.start_new(name, "x", None)
