"""SQLite task hub: orchestration instances and their Durable history, for the local runner.

It plays the part the Azure Storage task hub plays for the Functions host: the history is the
source of truth, so a killed run resumes from it without redoing completed activities.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.adapters.sqlite_jobs import connect
from shared.domain.job import utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, input TEXT, status TEXT NOT NULL,
    history TEXT NOT NULL, output TEXT, error TEXT, custom_status TEXT, terminate_reason TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
"""

PENDING, RUNNING, COMPLETED, FAILED, TERMINATED = "Pending", "Running", "Completed", "Failed", "Terminated"
TERMINAL = {COMPLETED, FAILED, TERMINATED}


@dataclass
class Instance:
    instance_id: str
    name: str
    input: str | None
    status: str = PENDING
    history: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    error: str | None = None
    custom_status: Any = None
    terminate_reason: str | None = None
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)

    def status_dict(self) -> dict[str, Any]:
        """The shape of the Durable client's status query (the fields the app reads)."""
        return {
            "instanceId": self.instance_id,
            "name": self.name,
            "runtimeStatus": self.status,
            "output": self.output,
            "customStatus": self.custom_status,
            "error": self.error,
            "createdTime": self.created_at,
            "lastUpdatedTime": self.updated_at,
        }


class TaskHub:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def create(self, instance_id: str, name: str, input_json: str | None) -> bool:
        """Create an instance; False if one with that id already exists (idempotent start)."""
        now = utc_now()
        with self._lock:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO instances (instance_id, name, input, status, history, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (instance_id, name, input_json, PENDING, "[]", now, now),
            )
        return cur.rowcount == 1

    def load(self, instance_id: str) -> Instance | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT instance_id, name, input, status, history, output, error, custom_status, terminate_reason,"
                " created_at, updated_at FROM instances WHERE instance_id=?",
                (instance_id,),
            ).fetchone()
        if row is None:
            return None
        return Instance(
            row[0],
            row[1],
            row[2],
            row[3],
            json.loads(row[4]),
            json.loads(row[5]) if row[5] else None,
            row[6],
            json.loads(row[7]) if row[7] else None,
            row[8],
            row[9],
            row[10],
        )

    def save(self, inst: Instance) -> None:
        inst.updated_at = utc_now()
        with self._lock:
            self._conn.execute(
                "UPDATE instances SET status=?, history=?, output=?, error=?, custom_status=?, updated_at=?"
                " WHERE instance_id=?",
                (
                    inst.status,
                    json.dumps(inst.history),
                    json.dumps(inst.output),
                    inst.error,
                    json.dumps(inst.custom_status),
                    inst.updated_at,
                    inst.instance_id,
                ),
            )

    def request_termination(self, instance_id: str, reason: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE instances SET terminate_reason=? WHERE instance_id=? AND status NOT IN (?,?,?)",
                (reason, instance_id, *sorted(TERMINAL)),
            )
        return cur.rowcount == 1

    def termination_requested(self, instance_id: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT terminate_reason FROM instances WHERE instance_id=?", (instance_id,)
            ).fetchone()
        return row[0] if row else None

    def unfinished(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT instance_id FROM instances WHERE status IN (?,?) ORDER BY created_at", (PENDING, RUNNING)
            ).fetchall()
        return [r[0] for r in rows]

    def reset(self, instance_id: str) -> None:
        """Forget an instance's history so it can run again from the start (retry of a failed job)."""
        with self._lock:
            self._conn.execute(
                "UPDATE instances SET status=?, history='[]', output=NULL, error=NULL, custom_status=NULL,"
                " terminate_reason=NULL, updated_at=? WHERE instance_id=?",
                (PENDING, utc_now(), instance_id),
            )
