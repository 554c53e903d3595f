"""Job events to an Event Grid custom topic as CloudEvents 1.0.

The topic must use the CloudEvents v1.0 input schema (``inputSchema: 'CloudEventSchemaV1_0'``).
In Azure the client authenticates with Entra ID (the Function App's identity needs the
"EventGrid Data Sender" role on the topic); tests use a key credential against a local receiver.
Event data carries ids, status, counts and links only: never transcript or translation text.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from azure.core.credentials import AzureKeyCredential, AzureSasCredential, TokenCredential
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridPublisherClient

from shared.domain import JobEvent

SOURCE = "/toex/jobs"
TYPE_PREFIX = "uk.police.toex."
# Keys whose text or list values would be evidence content; refused so a caller's slip cannot leak
# it (a count or an object under such a key, e.g. ``"segments": 42``, is allowed).
FORBIDDEN_DATA_KEYS = frozenset({"text", "transcript", "translation", "segments", "words", "audio"})


def _check_data(data: Any, path: str = "data") -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).lower() in FORBIDDEN_DATA_KEYS and isinstance(value, str | list | bytes):
                raise ValueError(f"event {path}.{key} would carry transcript content")
            _check_data(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_data(value, f"{path}[{i}]")


def event_id(event: JobEvent) -> str:
    """``event.id`` when set (deterministic: replays publish the same id), else one derived from
    type, subject and data, so a retried activity does not produce a second, different event."""
    if event.id:
        return event.id
    digest = hashlib.sha256(json.dumps([event.type, event.subject, event.data], sort_keys=True,
                                       default=str).encode()).hexdigest()
    return digest[:32]


def to_cloud_event(event: JobEvent) -> CloudEvent:
    if not event.type.startswith(TYPE_PREFIX):
        raise ValueError(f"event type must start with {TYPE_PREFIX!r}: {event.type!r}")
    _check_data(event.data)
    return CloudEvent(source=SOURCE, type=event.type, subject=event.subject, data=event.data,
                      id=event_id(event), datacontenttype="application/json")


class EventGridJobPublisher:
    """EventPublisher over ``azure.eventgrid.EventGridPublisherClient`` (basic custom topic)."""

    def __init__(self, endpoint: str,
                 credential: TokenCredential | AzureKeyCredential | AzureSasCredential,
                 **client_kwargs: Any) -> None:
        self._client = EventGridPublisherClient(endpoint, credential, **client_kwargs)

    def publish(self, event: JobEvent) -> None:
        self._client.send([to_cloud_event(event)])

    def publish_many(self, events: list[JobEvent]) -> None:
        if events:
            self._client.send([to_cloud_event(e) for e in events])

    def close(self) -> None:
        self._client.close()
