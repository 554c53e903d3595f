"""Cosmos DB (NoSQL API) job store: job status, metadata and links; never transcript text.

Containers and partition keys (Bicep creates them in Azure; ``ensure_containers`` does it locally):

* ``jobs``: hierarchical partition key ``/forceId`` + ``/jobId`` (MultiHash, version 2); item id is
  the job id. Every job is its own logical partition, so no force can reach the 20 GB logical
  partition limit, while a force's listing is a prefix query (``partition_key=[force_id]``) that
  Cosmos routes to the physical partitions holding that force only.
* ``notifications``: ``/forceId``; item id ``<job id>:<kind>`` (upserted, so a replay does not
  duplicate it).
* ``access``: the jobs' access audit trails, one item per entry (a random id), partitioned like
  ``jobs`` (``/forceId`` + ``/jobId``, MultiHash): each job's trail is its own logical partition, read
  by one single-partition query, and grows without touching the job's item (an array on the job would
  approach the 2 MB item limit on a much-viewed job and turn every view into a job write that races
  the pipeline's own updates). Append-only by construction: the store only ever calls
  ``create_item`` there (an existing id is refused); in Azure the Bicep gives it the same TTL as jobs.

Why these choices, as tested against the local server (@vercel/cosmosdb-server 1.0.1): MultiHash
containers, point operations, ETag preconditions and prefix queries work there. That server answers
a read of a missing id with 500 instead of 404, so ``get`` is a query naming both key paths (a
single-partition query, a few RU), and it rejects a partition-scoped query whose WHERE clause does
not name every key path, so listings always filter on ``c.forceId`` and pass
``enable_cross_partition_query`` with the prefix key (Cosmos still scopes them to the prefix's range).

Items: ``Job.to_dict()`` plus ``id``, ``forceId``, ``jobId`` and ``type``. Updates are optimistic:
``replace_item`` with the job's ETag and ``IfNotModified`` (412 → ConcurrencyError). Items are
capped well under Cosmos' 2 MB; transcripts live in Blob Storage and only their links are here.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.adapters.base import ConcurrencyError, JobExists, JobNotFound
from shared.domain import Job, JobStatus, Notification
from shared.domain.access import AccessEntry

JOBS_PARTITION_KEY = PartitionKey(path=["/forceId", "/jobId"], kind="MultiHash", version=2)
NOTIFICATIONS_PARTITION_KEY = PartitionKey(path="/forceId")
ACCESS_PARTITION_KEY = PartitionKey(path=["/forceId", "/jobId"], kind="MultiHash", version=2)
MAX_ITEM_BYTES = 1024 * 1024  # half of Cosmos' 2 MB item limit: status and links only
_NOTIFICATION_FIELDS = {f.name for f in fields(Notification)}


def job_document(job: Job) -> dict[str, Any]:
    doc = job.to_dict()
    doc.update(id=job.job_id, forceId=job.force_id, jobId=job.job_id, type="job")
    _check_size(doc, job.job_id)
    return doc


def _check_size(doc: dict[str, Any], what: str) -> None:
    size = len(json.dumps(doc, separators=(",", ":")).encode())
    if size > MAX_ITEM_BYTES:
        raise ValueError(f"{what}: document of {size} bytes is too large for Cosmos DB; "
                         "store large content in Blob Storage and keep its link")


def _job(doc: dict[str, Any]) -> Job:
    return Job.from_dict(doc, etag=doc.get("_etag"))


class CosmosJobStore:
    """JobStore over ``azure-cosmos``. ``credential``: a TokenCredential in Azure (Entra ID, the
    "Cosmos DB Built-in Data Contributor" role); a key string only for the local test server."""

    def __init__(self, endpoint: str, credential: Any, database: str = "toex", *,
                 jobs_container: str = "jobs", notifications_container: str = "notifications",
                 access_container: str = "access", **client_kwargs: Any) -> None:
        self._client = CosmosClient(endpoint, credential=credential, **client_kwargs)
        self._database_name = database
        self._jobs_name, self._notes_name = jobs_container, notifications_container
        self._access_name = access_container
        db = self._client.get_database_client(database)
        self._jobs = db.get_container_client(jobs_container)
        self._notes = db.get_container_client(notifications_container)
        self._access = db.get_container_client(access_container)

    def ensure_containers(self) -> None:
        """Create the database and containers if missing (local server and tests)."""
        db = self._client.create_database_if_not_exists(self._database_name)
        self._jobs = db.create_container_if_not_exists(self._jobs_name, partition_key=JOBS_PARTITION_KEY)
        self._notes = db.create_container_if_not_exists(self._notes_name,
                                                        partition_key=NOTIFICATIONS_PARTITION_KEY)
        self._access = db.create_container_if_not_exists(self._access_name, partition_key=ACCESS_PARTITION_KEY)

    # -- jobs ----------------------------------------------------------------------------------
    def create(self, job: Job) -> Job:
        try:
            return _job(self._jobs.create_item(job_document(job)))
        except CosmosResourceExistsError:
            raise JobExists(job.job_id) from None

    def get(self, force_id: str, job_id: str) -> Job | None:
        docs = list(self._jobs.query_items(
            "SELECT * FROM c WHERE c.forceId = @force AND c.jobId = @job",
            parameters=[{"name": "@force", "value": force_id}, {"name": "@job", "value": job_id}],
            partition_key=[force_id, job_id]))
        return _job(docs[0]) if docs else None

    def update(self, job: Job) -> Job:
        if job.etag is None:
            raise ValueError("update needs the job's etag (read it first)")
        try:
            doc = self._jobs.replace_item(job.job_id, job_document(job), etag=job.etag,
                                          match_condition=MatchConditions.IfNotModified)
        except CosmosAccessConditionFailedError:
            raise ConcurrencyError(job.job_id) from None
        except CosmosResourceNotFoundError:
            raise JobNotFound(job.job_id) from None
        return _job(doc)

    def list_jobs(self, force_id: str, *, status: JobStatus | None = None, limit: int = 50,
                  submitted_by: str | None = None) -> list[Job]:
        """A force's jobs, newest first (by ``created_at``), optionally of one status or one submitter."""
        where = "c.forceId = @force"
        params: list[dict[str, Any]] = [{"name": "@force", "value": force_id},
                                        {"name": "@limit", "value": int(limit)}]
        if status is not None:
            where += " AND c.status = @status"
            params.append({"name": "@status", "value": JobStatus(status).value})
        if submitted_by is not None:
            where += " AND c.submitted_by = @by"
            params.append({"name": "@by", "value": submitted_by})
        docs = self._jobs.query_items(
            f"SELECT TOP @limit * FROM c WHERE {where} ORDER BY c.created_at DESC",
            parameters=params, partition_key=[force_id], enable_cross_partition_query=True)
        return [_job(d) for d in docs]

    # -- notifications -------------------------------------------------------------------------
    def add_notification(self, notification: Notification) -> None:
        doc = notification.to_dict()
        doc.update(forceId=notification.force_id, type="notification")
        _check_size(doc, doc["id"])
        self._notes.upsert_item(doc)

    def list_notifications(self, force_id: str, *, recipient: str | None = None,
                           limit: int = 50) -> list[Notification]:
        where = "c.forceId = @force"
        params: list[dict[str, Any]] = [{"name": "@force", "value": force_id},
                                        {"name": "@limit", "value": int(limit)}]
        if recipient is not None:
            where += " AND c.recipient = @recipient"
            params.append({"name": "@recipient", "value": recipient})
        docs = self._notes.query_items(
            f"SELECT TOP @limit * FROM c WHERE {where} ORDER BY c.created_at DESC",
            parameters=params, partition_key=force_id)
        return [Notification(**{k: v for k, v in d.items() if k in _NOTIFICATION_FIELDS}) for d in docs]

    # -- access audit trail --------------------------------------------------------------------
    def add_access(self, entry: AccessEntry) -> None:
        doc = entry.to_dict()
        doc.update(forceId=entry.force_id, jobId=entry.job_id, type="access")
        self._access.create_item(doc)  # never upsert or replace: an entry, once written, stays as it is

    def list_access(self, force_id: str, job_id: str, *, limit: int = 500) -> list[AccessEntry]:
        docs = self._access.query_items(
            "SELECT TOP @limit * FROM c WHERE c.forceId = @force AND c.jobId = @job ORDER BY c.at ASC",
            parameters=[{"name": "@force", "value": force_id}, {"name": "@job", "value": job_id},
                        {"name": "@limit", "value": int(limit)}],
            partition_key=[force_id, job_id])
        return [AccessEntry.from_dict(d) for d in docs]
