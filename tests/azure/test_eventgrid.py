"""EventGridJobPublisher → a local HTTP receiver: the CloudEvents the SDK really sends."""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError

from shared.adapters.base import EventPublisher
from shared.adapters.eventgrid import EventGridJobPublisher
from shared.domain import JobEvent
from tools.eventgrid_receiver import EventGridReceiver

pytestmark = pytest.mark.services

TEXT_KEYS_WITH_CONTENT = {"text", "transcript", "translation", "words"}


def _walk_keys(obj: object) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _walk_keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _walk_keys(v)}
    return set()


def test_job_events_arrive_as_cloudevents(eventgrid_publisher: EventGridJobPublisher,
                                          eventgrid_receiver: EventGridReceiver) -> None:
    assert isinstance(eventgrid_publisher, EventPublisher)
    subject = "forces/force-a/jobs/job-0001"
    sent = [
        JobEvent("uk.police.toex.job.progress", subject,
                 {"jobId": "job-0001", "forceId": "force-a", "stage": "transcribing", "percent": 40,
                  "segments": 12}, id="job-0001:progress:4"),
        JobEvent("uk.police.toex.job.completed", subject,
                 {"jobId": "job-0001", "forceId": "force-a", "status": "succeeded",
                  "outputs": {"docx": "results/force-a/job-0001/transcript.docx"}}, id="job-0001:completed"),
        JobEvent("uk.police.toex.job.failed", "forces/force-a/jobs/job-0002",
                 {"jobId": "job-0002", "forceId": "force-a", "status": "failed",
                  "error": {"code": "decode_failed", "message": "unsupported codec"}}, id="job-0002:failed"),
    ]
    for event in sent:
        eventgrid_publisher.publish(event)

    deliveries = eventgrid_receiver.deliveries
    assert len(deliveries) == 3
    for d in deliveries:
        assert d.headers["content-type"].startswith("application/cloudevents-batch+json")
        assert d.headers["aeg-sas-key"] == "test"
        assert d.path.startswith("/api/events?api-version=")
    got = eventgrid_receiver.events
    assert [e["type"] for e in got] == [e.type for e in sent]
    for event, ce in zip(sent, got, strict=True):
        assert ce["specversion"] == "1.0" and ce["source"] == "/toex/jobs"
        assert (ce["id"], ce["subject"], ce["data"]) == (event.id, event.subject, event.data)
        assert ce["datacontenttype"] == "application/json" and ce["time"].endswith("Z")
        assert not _walk_keys(ce["data"]) & TEXT_KEYS_WITH_CONTENT


def test_ids_are_deterministic_without_an_explicit_id(eventgrid_publisher: EventGridJobPublisher,
                                                      eventgrid_receiver: EventGridReceiver) -> None:
    event = JobEvent("uk.police.toex.job.completed", "forces/f/jobs/j", {"jobId": "j", "status": "succeeded"})
    eventgrid_publisher.publish(event)
    eventgrid_publisher.publish(event)  # an activity retried after publishing
    other = JobEvent("uk.police.toex.job.completed", "forces/f/jobs/k", {"jobId": "k", "status": "succeeded"})
    eventgrid_publisher.publish(other)
    ids = [e["id"] for e in eventgrid_receiver.events]
    assert ids[0] == ids[1] != ids[2] and len(ids[0]) == 32


def test_batch_publish(eventgrid_publisher: EventGridJobPublisher, eventgrid_receiver: EventGridReceiver) -> None:
    events = [JobEvent("uk.police.toex.job.progress", "forces/f/jobs/j", {"percent": p}, id=f"j:{p}")
              for p in (10, 20, 30)]
    eventgrid_publisher.publish_many(events)
    assert len(eventgrid_receiver.deliveries) == 1
    assert [e["data"]["percent"] for e in eventgrid_receiver.events] == [10, 20, 30]


@pytest.mark.parametrize("data", [
    {"jobId": "j", "transcript": "the suspect said"},
    {"jobId": "j", "result": {"segments": [{"start": 0.0, "text": "hello"}]}},
    {"jobId": "j", "translation": "hello"},
])
def test_transcript_text_is_never_published(eventgrid_publisher: EventGridJobPublisher,
                                            eventgrid_receiver: EventGridReceiver, data: dict) -> None:
    with pytest.raises(ValueError, match="transcript content"):
        eventgrid_publisher.publish(JobEvent("uk.police.toex.job.completed", "forces/f/jobs/j", data))
    assert eventgrid_receiver.events == []


def test_foreign_event_types_and_bad_keys_are_refused(eventgrid_receiver: EventGridReceiver,
                                                      eventgrid_publisher: EventGridJobPublisher) -> None:
    with pytest.raises(ValueError):
        eventgrid_publisher.publish(JobEvent("Microsoft.Storage.BlobCreated", "s", {}))
    wrong_key = EventGridJobPublisher(eventgrid_receiver.endpoint, AzureKeyCredential("wrong"))
    with pytest.raises(ClientAuthenticationError):
        wrong_key.publish(JobEvent("uk.police.toex.job.completed", "forces/f/jobs/j", {"jobId": "j"}))
    assert eventgrid_receiver.events == []
