"""CosmosJobStore against the local Cosmos DB server (@vercel/cosmosdb-server)."""

from __future__ import annotations

import pytest

from shared.adapters.base import ConcurrencyError, JobExists, JobNotFound, JobStore
from shared.adapters.cosmos_jobs import CosmosJobStore
from shared.domain import Job, JobStatus, Notification, Progress, SourceRef
from tests.fixtures.services import CosmosServer

pytestmark = [
    pytest.mark.services,
    # azure-cosmos skips certificate checks for localhost (the server's self-signed certificate)
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]


def _job(force: str, n: int, status: JobStatus = JobStatus.QUEUED) -> Job:
    return Job(job_id=f"job-{n:04d}", force_id=force, status=status,
               source=SourceRef(ref=f"originals/{force}/{n}.wav", name=f"{n}.wav", size_bytes=1000 + n,
                                sha256="ab" * 32),
               created_at=f"2026-01-01T00:00:{n:02d}Z", updated_at=f"2026-01-01T00:00:{n:02d}Z")


@pytest.fixture(scope="module")
def store(cosmos_server: CosmosServer) -> CosmosJobStore:
    return cosmos_server.job_store()


def test_is_a_job_store(store: CosmosJobStore) -> None:
    assert isinstance(store, JobStore)


def test_containers_use_hierarchical_and_force_partition_keys(store: CosmosJobStore) -> None:
    jobs_pk = store._jobs.read()["partitionKey"]
    assert jobs_pk["paths"] == ["/forceId", "/jobId"] and jobs_pk["kind"] == "MultiHash"
    assert store._notes.read()["partitionKey"]["paths"] == ["/forceId"]


def test_create_get_round_trip(store: CosmosJobStore) -> None:
    job = _job("force-rt", 1).with_changes(options={"language": "pl"}, submitted_by="PC 123")
    created = store.create(job)
    assert created.etag
    got = store.get("force-rt", "job-0001")
    assert got is not None and got.etag == created.etag
    assert got.to_dict() == job.to_dict()
    raw = store._jobs.read_item("job-0001", partition_key=["force-rt", "job-0001"])
    assert (raw["id"], raw["forceId"], raw["jobId"], raw["type"]) == ("job-0001", "force-rt", "job-0001", "job")


def test_duplicate_create_is_refused(store: CosmosJobStore) -> None:
    store.create(_job("force-dup", 1))
    with pytest.raises(JobExists):
        store.create(_job("force-dup", 1))
    store.create(_job("force-dup2", 1))  # the same job id in another force is a different job


def test_get_missing_is_none(store: CosmosJobStore) -> None:
    store.create(_job("force-missing", 1))
    assert store.get("force-missing", "job-9999") is None
    assert store.get("no-such-force", "job-0001") is None


def test_update_is_optimistic(store: CosmosJobStore) -> None:
    created = store.create(_job("force-upd", 1))
    running = store.update(created.with_changes(status=JobStatus.RUNNING,
                                                progress=Progress("transcribing", 10, 3)))
    assert running.etag and running.etag != created.etag
    got = store.get("force-upd", "job-0001")
    assert got is not None and got.status is JobStatus.RUNNING and got.progress.chunks_done == 3
    with pytest.raises(ConcurrencyError):  # a writer still holding the first ETag loses
        store.update(created.with_changes(status=JobStatus.FAILED))
    assert store.get("force-upd", "job-0001").status is JobStatus.RUNNING  # type: ignore[union-attr]
    done = store.update(running.with_changes(status=JobStatus.SUCCEEDED, outputs={"docx": "results/x.docx"}))
    assert store.get("force-upd", "job-0001") == done
    with pytest.raises(ValueError):
        store.update(_job("force-upd", 1))  # no etag: never a blind write
    with pytest.raises(JobNotFound):
        store.update(_job("force-upd", 2).with_changes(etag=done.etag))


def test_list_by_force_status_order_and_isolation(store: CosmosJobStore) -> None:
    statuses = [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.RUNNING, JobStatus.FAILED]
    for n, status in enumerate(statuses):
        store.create(_job("force-list-a", n, status))
    for n in range(3):
        store.create(_job("force-list-b", n, JobStatus.RUNNING))
    listed = store.list_jobs("force-list-a")
    assert [j.job_id for j in listed] == ["job-0004", "job-0003", "job-0002", "job-0001", "job-0000"]
    assert all(j.force_id == "force-list-a" and j.etag for j in listed)
    running = store.list_jobs("force-list-a", status=JobStatus.RUNNING)
    assert [j.job_id for j in running] == ["job-0003", "job-0001"]
    assert [j.job_id for j in store.list_jobs("force-list-a", limit=2)] == ["job-0004", "job-0003"]
    assert len(store.list_jobs("force-list-b", status=JobStatus.RUNNING)) == 3
    assert store.list_jobs("force-list-c") == []


def test_oversized_document_is_refused(store: CosmosJobStore) -> None:
    big = _job("force-big", 1).with_changes(summary={"blob": "x" * (1024 * 1024 + 1)})
    with pytest.raises(ValueError, match="Blob Storage"):
        store.create(big)
    assert store.get("force-big", "job-0001") is None


def test_notifications(store: CosmosJobStore) -> None:
    def note(force: str, job: str, kind: str, who: str | None, second: int) -> Notification:
        return Notification(force_id=force, job_id=job, kind=kind, recipient=who, message=f"job {kind}",
                            links={"docx": "https://example/x"}, created_at=f"2026-01-01T00:00:{second:02d}Z")

    store.add_notification(note("force-n", "job-1", "completed", "pc-1", 1))
    store.add_notification(note("force-n", "job-2", "failed", "pc-2", 2))
    store.add_notification(note("force-n", "job-1", "completed", "pc-1", 1))  # replayed: upserted
    store.add_notification(note("force-m", "job-3", "completed", "pc-1", 3))
    got = store.list_notifications("force-n")
    assert [(n.job_id, n.kind) for n in got] == [("job-2", "failed"), ("job-1", "completed")]
    assert got[1].id == "job-1:completed" and got[1].links == {"docx": "https://example/x"}
    assert [n.job_id for n in store.list_notifications("force-n", recipient="pc-1")] == ["job-1"]
    assert len(store.list_notifications("force-n", limit=1)) == 1
    assert [n.job_id for n in store.list_notifications("force-m")] == ["job-3"]
