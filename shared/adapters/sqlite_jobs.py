"""SQLite job store: the local stand-in for Cosmos DB, with the same optimistic-concurrency rules.

The access audit trail (``access_log``) is append-only in the database itself: triggers abort any
UPDATE or DELETE, so no code path (nor a hand-run statement through this file) rewrites it."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path

from shared.adapters.base import ConcurrencyError, JobExists, JobNotFound
from shared.domain import Job, JobStatus, Notification
from shared.domain.access import AccessEntry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    force_id TEXT NOT NULL, job_id TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    doc TEXT NOT NULL, etag TEXT NOT NULL, PRIMARY KEY (force_id, job_id));
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (force_id, created_at);
CREATE TABLE IF NOT EXISTS notifications (
    force_id TEXT NOT NULL, id TEXT NOT NULL, recipient TEXT, created_at TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (force_id, id));
CREATE TABLE IF NOT EXISTS access_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, force_id TEXT NOT NULL, job_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS access_by_job ON access_log (force_id, job_id, seq);
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'the access audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
    BEGIN SELECT RAISE(ABORT, 'the access audit trail is append-only'); END;
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode, safe to share between the runner's threads under a lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class SqliteJobStore:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def create(self, job: Job) -> Job:
        etag = uuid.uuid4().hex
        try:
            with self._lock:
                self._conn.execute(
                    "INSERT INTO jobs VALUES (?,?,?,?,?,?)",
                    (job.force_id, job.job_id, job.status.value, job.created_at, _doc(job), etag))
        except sqlite3.IntegrityError:
            raise JobExists(job.job_id) from None
        return Job.from_dict(job.to_dict(), etag=etag)

    def get(self, force_id: str, job_id: str) -> Job | None:
        with self._lock:
            row = self._conn.execute("SELECT doc, etag FROM jobs WHERE force_id=? AND job_id=?",
                                     (force_id, job_id)).fetchone()
        return Job.from_dict(json.loads(row[0]), etag=row[1]) if row else None

    def update(self, job: Job) -> Job:
        if job.etag is None:
            raise ValueError("update needs the job's etag (read it first)")
        etag = uuid.uuid4().hex
        with self._lock:
            cur = self._conn.execute(
                "UPDATE jobs SET status=?, doc=?, etag=? WHERE force_id=? AND job_id=? AND etag=?",
                (job.status.value, _doc(job), etag, job.force_id, job.job_id, job.etag))
            if cur.rowcount == 0:
                exists = self._conn.execute("SELECT 1 FROM jobs WHERE force_id=? AND job_id=?",
                                            (job.force_id, job.job_id)).fetchone()
                raise ConcurrencyError(job.job_id) if exists else JobNotFound(job.job_id)
        return Job.from_dict(job.to_dict(), etag=etag)

    def list_jobs(self, force_id: str, *, status: JobStatus | None = None, limit: int = 50,
                  submitted_by: str | None = None) -> list[Job]:
        sql, args = "SELECT doc, etag FROM jobs WHERE force_id=?", [force_id]
        if status is not None:
            sql += " AND status=?"
            args.append(status.value)
        if submitted_by is not None:
            sql += " AND json_extract(doc, '$.submitted_by')=?"
            args.append(submitted_by)
        sql += " ORDER BY created_at DESC, job_id LIMIT ?"
        with self._lock:
            rows = self._conn.execute(sql, (*args, limit)).fetchall()
        return [Job.from_dict(json.loads(d), etag=e) for d, e in rows]

    def list_all(self, limit: int = 200) -> list[Job]:
        """Every force's jobs (the local CLI's view; Azure callers always name their force)."""
        with self._lock:
            rows = self._conn.execute("SELECT doc, etag FROM jobs ORDER BY created_at DESC, job_id LIMIT ?",
                                      (limit,)).fetchall()
        return [Job.from_dict(json.loads(d), etag=e) for d, e in rows]

    def add_notification(self, notification: Notification) -> None:
        d = notification.to_dict()
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO notifications VALUES (?,?,?,?,?)",
                               (d["force_id"], d["id"], d["recipient"], d["created_at"], json.dumps(d)))

    def list_notifications(self, force_id: str, *, recipient: str | None = None,
                           limit: int = 50) -> list[Notification]:
        sql, args = "SELECT doc FROM notifications WHERE force_id=?", [force_id]
        if recipient is not None:
            sql += " AND recipient=?"
            args.append(recipient)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at DESC LIMIT ?", (*args, limit)).fetchall()
        return [Notification(**json.loads(r[0])) for r in rows]

    def add_access(self, entry: AccessEntry) -> None:
        d = entry.to_dict()
        with self._lock:
            self._conn.execute("INSERT INTO access_log (force_id, job_id, id, at, doc) VALUES (?,?,?,?,?)",
                               (entry.force_id, entry.job_id, entry.id, entry.at, json.dumps(d, sort_keys=True)))

    def list_access(self, force_id: str, job_id: str, *, limit: int = 500) -> list[AccessEntry]:
        with self._lock:
            rows = self._conn.execute("SELECT doc FROM access_log WHERE force_id=? AND job_id=? ORDER BY seq LIMIT ?",
                                      (force_id, job_id, limit)).fetchall()
        return [AccessEntry.from_dict(json.loads(r[0])) for r in rows]


def _doc(job: Job) -> str:
    return json.dumps(job.to_dict(), sort_keys=True)
