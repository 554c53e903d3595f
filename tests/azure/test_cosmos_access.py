"""The access audit trail and the need-to-know listing in CosmosJobStore, against the local Cosmos DB server."""

from __future__ import annotations

import pytest
from azure.cosmos.exceptions import CosmosResourceExistsError

from shared.adapters.cosmos_jobs import CosmosJobStore
from shared.domain import AccessEntry, Job, JobStatus, SourceRef
from tests.fixtures.services import CosmosServer

pytestmark = [pytest.mark.services,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


@pytest.fixture(scope="module")
def store(cosmos_server: CosmosServer) -> CosmosJobStore:
    return cosmos_server.job_store()


def _job(force: str, n: int, by: str | None) -> Job:
    return Job(job_id=f"job-{n:04d}", force_id=force, status=JobStatus.QUEUED, submitted_by=by,
               source=SourceRef(ref=f"incoming/{force}/{n}.wav", name=f"{n}.wav", size_bytes=10, sha256="ab" * 32),
               created_at=f"2026-01-01T00:00:{n:02d}Z", updated_at=f"2026-01-01T00:00:{n:02d}Z")


def test_the_trail_has_its_own_container_partitioned_by_force_and_job(store: CosmosJobStore) -> None:
    pk = store._access.read()["partitionKey"]
    assert pk["paths"] == ["/forceId", "/jobId"] and pk["kind"] == "MultiHash"


def test_entries_append_in_order_per_job_and_force_and_are_never_replaced(store: CosmosJobStore) -> None:
    entries = [AccessEntry("met", "job-0001", "PC 1 (oid-1)", action, detail, at=f"2026-01-01T10:00:0{i}.000Z")
               for i, (action, detail) in enumerate([("view", "attempt=1"), ("download", "format=docx"),
                                                     ("rename", "overlay=v1"), ("cancel", "attempt=1")])]
    for e in reversed(entries):  # written out of order: read back by time
        store.add_access(e)
    store.add_access(AccessEntry("met", "job-0002", "PC 1 (oid-1)", "view"))
    store.add_access(AccessEntry("kent", "job-0001", "DS 2 (oid-2)", "view"))  # the same id in another force
    assert store.list_access("met", "job-0001") == entries
    assert [e.user for e in store.list_access("kent", "job-0001")] == ["DS 2 (oid-2)"]
    assert store.list_access("durham", "job-0001") == []
    with pytest.raises(CosmosResourceExistsError):
        store.add_access(entries[0])  # an entry is created once; nothing overwrites it
    assert store.list_access("met", "job-0001") == entries


def test_the_listing_filters_on_the_submitter(store: CosmosJobStore) -> None:
    for n, by in ((11, "oid-a"), (12, "oid-b"), (13, "oid-a"), (14, None)):
        store.create(_job("west", n, by))
    assert [j.job_id for j in store.list_jobs("west", submitted_by="oid-a")] == ["job-0013", "job-0011"]
    assert len(store.list_jobs("west")) == 4
    assert store.list_jobs("west", submitted_by="oid-c") == []
