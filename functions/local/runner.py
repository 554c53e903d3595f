"""Runs Durable orchestrators locally through the real azure-functions-durable replay code.

The Functions host is not needed: ``azure.durable_functions.Orchestrator.create(fn)`` gives the
handle the host would call with the orchestration context (instance id, input, history) as JSON;
it replays the generator over the history and answers with the actions the orchestrator wants.
This runner plays the host's part: it executes those activities on a thread pool, appends
``TaskScheduled`` / ``TaskCompleted`` / ``TaskFailed`` / timer events exactly as the Durable
extension does (replay schema V1, retries as failure → timer → reschedule), persists the history
in SQLite after every episode, and replays until the orchestration completes.

Each episode carries exactly one new completion event. The SDK numbers tasks in the order it
meets them while replaying; one event per episode keeps the runner's event ids in step with it
whatever order the activities finish in.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.actions import ActionType
from azure.durable_functions.models.history import HistoryEventType as Ev
from azure.functions.durable_functions import ActivityTriggerConverter
from azure.functions.meta import Datum

from functions.local.taskhub import COMPLETED, FAILED, RUNNING, TERMINAL, TERMINATED, Instance, TaskHub
from shared.clock import iso_utc, parse_iso

log = logging.getLogger(__name__)

Activity = Callable[[Any], Any]


class OrchestrationFailed(Exception):
    pass


def _ts(dt: datetime | None = None) -> str:
    return iso_utc(dt, timespec="auto")


def _event(kind: Ev, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {"EventType": kind, "EventId": event_id, "IsPlayed": False, "Timestamp": _ts(), **fields}


def _decode(payload: str | None) -> Any:
    """An activity's input as the Functions worker decodes it (the SDK's converter, strict typing included)."""
    return None if payload is None else ActivityTriggerConverter.decode(Datum(payload, "json"), trigger_metadata=None)


def _encode(result: Any) -> str:
    """An activity's result as the Functions worker encodes it into the history."""
    return str(ActivityTriggerConverter.encode(result, expected_type=None).value)


def _flatten(actions: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [a for group in actions for a in group]


class LocalOrchestrationRunner:
    """Drives orchestration instances stored in a :class:`TaskHub` to completion."""

    def __init__(
        self,
        hub: TaskHub,
        orchestrators: dict[str, Callable[..., Any]],
        activities: dict[str, Activity],
        *,
        max_workers: int = 2,
        retry_interval_scale: float = 1.0,
    ) -> None:
        self.hub = hub
        self.handles = {name: df.Orchestrator.create(fn) for name, fn in orchestrators.items()}
        self.activities = activities
        self.max_workers = max_workers
        self.retry_interval_scale = retry_interval_scale

    # -- the durable-client-like surface ------------------------------------------------------
    def start_new(self, name: str, instance_id: str, client_input: Any = None) -> bool:
        """Register an instance; False when one with this id exists already (idempotent)."""
        if name not in self.handles:
            raise KeyError(f"no orchestrator named {name!r}")
        return self.hub.create(instance_id, name, json.dumps(client_input))

    def get_status(self, instance_id: str) -> dict[str, Any] | None:
        inst = self.hub.load(instance_id)
        return inst.status_dict() if inst else None

    def terminate(self, instance_id: str, reason: str) -> bool:
        return self.hub.request_termination(instance_id, reason)

    # -- the host loop ------------------------------------------------------------------------
    def run(self, instance_id: str) -> Instance:
        """Run (or resume) one instance until it completes, fails or is terminated."""
        inst = self.hub.load(instance_id)
        if inst is None:
            raise KeyError(instance_id)
        if inst.status in TERMINAL:
            return inst
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="activity") as pool:
            return _Episodes(self, inst, pool).drive()


class _Episodes:
    """The state of one run of one instance: pending activities and timers, next event id."""

    def __init__(self, runner: LocalOrchestrationRunner, inst: Instance, pool: ThreadPoolExecutor) -> None:
        self.r, self.inst, self.pool = runner, inst, pool
        self.handle = runner.handles[inst.name]
        self.futures: dict[Future[Any], int] = {}
        self.timers: dict[int, float] = {}  # timer event id → monotonic due time
        self.tasks: dict[int, dict[str, Any]] = {}  # scheduled event id → TaskScheduled event
        self.attempts: dict[int, int] = {}
        self.retry_of_timer: dict[int, int] = {}  # timer id → task id it retries
        self.next_id = 0
        self.dispatched = 0

    def drive(self) -> Instance:
        inst = self.inst
        if not inst.history:
            inst.history = [
                _event(Ev.ORCHESTRATOR_STARTED),
                _event(Ev.EXECUTION_STARTED, Name=inst.name, Input=inst.input, Version=""),
            ]
            replay_due = True
        else:
            replay_due = self._recover()
        inst.status = RUNNING
        while True:
            reason = self.r.hub.termination_requested(inst.instance_id)
            if reason:
                return self._finish(
                    TERMINATED, error=f"terminated: {reason}", event=_event(Ev.EXECUTION_TERMINATED, Input=reason)
                )
            if replay_due:
                state = self._replay()
                if state is None or state.get("isDone"):
                    return self.inst
                self._schedule(_flatten(state.get("actions", [])))
                inst.custom_status = state.get("customStatus", inst.custom_status)
                inst.history.append(_event(Ev.ORCHESTRATOR_COMPLETED))
                self.r.hub.save(inst)
            if inst.history[-1]["EventType"] == Ev.ORCHESTRATOR_COMPLETED:
                inst.history.append(_event(Ev.ORCHESTRATOR_STARTED))
            replay_due = self._await_one()
            self.r.hub.save(inst)  # a completed activity is never lost to a crash

    # -- replay ---------------------------------------------------------------------------------
    def _replay(self) -> dict[str, Any] | None:
        inst = self.inst
        context = {
            "history": inst.history,
            "instanceId": inst.instance_id,
            "isReplaying": False,
            "parentInstanceId": None,
            "input": inst.input,
            "upperSchemaVersion": 0,
        }
        try:
            state = json.loads(self.handle(json.dumps(context)))
        except Exception as exc:  # the SDK raises with the orchestrator's own exception message first
            message = str(exc).split("\n\n$OutOfProcData$:")[0]
            self._finish(FAILED, error=message, event=_event(Ev.EXECUTION_FAILED, Reason=message))
            return None
        if state.get("isDone"):
            output = state.get("output")
            inst.custom_status = state.get("customStatus", inst.custom_status)
            self._finish(COMPLETED, output=output, event=_event(Ev.EXECUTION_COMPLETED, Result=json.dumps(output)))
        return state

    def _finish(self, status: str, *, output: Any = None, error: str | None = None, event: dict[str, Any]) -> Instance:
        inst = self.inst
        inst.history.append(event)
        inst.status, inst.output, inst.error = status, output, error
        self.r.hub.save(inst)
        log.info("orchestration %s %s", inst.instance_id, status.lower())
        return inst

    # -- scheduling -----------------------------------------------------------------------------
    def _schedule(self, actions: list[dict[str, Any]]) -> None:
        for index in range(self.dispatched, len(actions)):
            action = actions[index]
            kind = action["actionType"]
            event_id = self._take_id()
            if kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
                ev = _event(
                    Ev.TASK_SCHEDULED,
                    event_id,
                    Name=action["functionName"],
                    Input=action.get("input"),
                    ToexAction=index,
                    ToexRetry=action.get("retryOptions"),
                )
                self.inst.history.append(ev)
                self._submit(ev, attempt=1)
            elif kind == ActionType.CREATE_TIMER:
                fire_at = parse_iso(action["fireAt"])
                self.inst.history.append(_event(Ev.TIMER_CREATED, event_id, FireAt=action["fireAt"], ToexAction=index))
                delay = max(0.0, (fire_at - datetime.now(UTC)).total_seconds())
                self.timers[event_id] = time.monotonic() + delay
            else:
                raise OrchestrationFailed(f"action type {kind} is not supported by the local runner")
        self.dispatched = len(actions)

    def _take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _submit(self, ev: dict[str, Any], attempt: int) -> None:
        name = ev["Name"]
        if name not in self.r.activities:
            raise OrchestrationFailed(f"no activity named {name!r}")
        self.tasks[ev["EventId"]] = ev
        self.attempts[ev["EventId"]] = attempt
        payload = _decode(ev.get("Input"))
        fut = self.pool.submit(self.r.activities[name], payload)
        self.futures[fut] = ev["EventId"]

    # -- completions ----------------------------------------------------------------------------
    def _await_one(self) -> bool:
        """Append the next completion event; True when the orchestrator must replay."""
        while True:
            now = time.monotonic()
            due = sorted((t, tid) for tid, t in self.timers.items() if t <= now)
            if due:
                return self._fire_timer(due[0][1])
            timeout = min((t - now for t in self.timers.values()), default=None)
            done, _ = wait(list(self.futures), timeout=timeout, return_when=FIRST_COMPLETED)
            if done:
                fut = min(done, key=lambda f: self.futures[f])
                return self._complete(fut)

    def _complete(self, fut: Future[Any]) -> bool:
        event_id = self.futures.pop(fut)
        ev = self.tasks[event_id]
        exc = fut.exception()
        if exc is None:
            self.inst.history.append(_event(Ev.TASK_COMPLETED, TaskScheduledId=event_id, Result=_encode(fut.result())))
            return True
        reason = str(exc) or type(exc).__name__
        log.warning("activity %s failed (attempt %d): %s", ev["Name"], self.attempts[event_id], type(exc).__name__)
        self.inst.history.append(
            _event(Ev.TASK_FAILED, TaskScheduledId=event_id, Reason=reason, Details=type(exc).__name__)
        )
        retry = ev.get("ToexRetry")
        if not retry:
            return True
        timer_id = self._take_id()
        attempt = self.attempts[event_id]
        delay_ms = retry["firstRetryIntervalInMilliseconds"] * (2 ** (attempt - 1)) * self.r.retry_interval_scale
        fire_at = datetime.now(UTC) + timedelta(milliseconds=delay_ms)
        self.inst.history.append(_event(Ev.TIMER_CREATED, timer_id, FireAt=_ts(fire_at), ToexRetryOf=event_id))
        self.timers[timer_id] = time.monotonic() + delay_ms / 1000
        self.retry_of_timer[timer_id] = event_id
        return False  # the SDK needs to see the timer fire before anything changes

    def _fire_timer(self, timer_id: int) -> bool:
        del self.timers[timer_id]
        self.inst.history.append(_event(Ev.TIMER_FIRED, TimerId=timer_id))
        task_id = self.retry_of_timer.pop(timer_id, None)
        if task_id is not None:
            ev = self.tasks[task_id]
            attempt = self.attempts[task_id]
            if attempt < ev["ToexRetry"]["maxNumberOfAttempts"]:
                new = dict(ev, EventId=self._take_id(), Timestamp=_ts(), ToexRetryOf=task_id)
                new.pop("ToexAction", None)
                self.inst.history.append(new)
                self._submit(new, attempt + 1)
        return True

    # -- resume ----------------------------------------------------------------------------------
    def _recover(self) -> bool:
        """Rebuild pending work from a persisted history; True when a replay is due first."""
        history = self.inst.history
        done = {e["TaskScheduledId"] for e in history if e["EventType"] in (Ev.TASK_COMPLETED, Ev.TASK_FAILED)}
        fired = {e["TimerId"] for e in history if e["EventType"] == Ev.TIMER_FIRED}
        ids = [e["EventId"] for e in history if e["EventType"] in (Ev.TASK_SCHEDULED, Ev.TIMER_CREATED)]
        self.next_id = max(ids, default=-1) + 1
        self.dispatched = sum(1 for e in history if "ToexAction" in e)
        for ev in history:
            if ev["EventType"] == Ev.TASK_SCHEDULED:
                first = ev.get("ToexRetryOf", ev["EventId"])
                self.attempts[ev["EventId"]] = self.attempts.get(first, 0) + 1 if first != ev["EventId"] else 1
                self.tasks[ev["EventId"]] = ev
                if ev["EventId"] not in done:
                    self._submit(ev, self.attempts[ev["EventId"]])
            elif ev["EventType"] == Ev.TIMER_CREATED and ev["EventId"] not in fired:
                self.timers[ev["EventId"]] = time.monotonic()
                if "ToexRetryOf" in ev:
                    self.retry_of_timer[ev["EventId"]] = ev["ToexRetryOf"]
        # a run killed between appending an event and the replay that follows it
        return history[-1]["EventType"] != Ev.ORCHESTRATOR_COMPLETED


def run_in_background(runner: LocalOrchestrationRunner, instance_id: str) -> threading.Thread:
    t = threading.Thread(target=runner.run, args=(instance_id,), daemon=True, name=f"orch-{instance_id[:12]}")
    t.start()
    return t
