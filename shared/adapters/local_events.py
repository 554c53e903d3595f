"""Local event sink: CloudEvents appended as JSON lines (what Event Grid carries in Azure)."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

from shared.clock import iso_utc
from shared.domain import JobEvent


class JsonlEventPublisher:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def publish(self, event: JobEvent) -> None:
        record = {
            "specversion": "1.0", "id": event.id or uuid.uuid4().hex, "source": "/toex/jobs",
            "type": event.type, "subject": event.subject,
            "time": iso_utc(timespec="auto"), "datacontenttype": "application/json", "data": event.data,
        }
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def read_all(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
