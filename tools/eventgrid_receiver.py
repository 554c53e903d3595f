"""A tiny Event Grid topic stand-in: accepts CloudEvents batches over HTTP and records them.

Used in-process by the ``services`` tests (``EventGridReceiver``) and runnable on its own to watch
what the pipeline publishes::

    python tools/eventgrid_receiver.py --port 8082 --key test
    # TOEX_EVENTGRID_TOPIC_ENDPOINT=http://127.0.0.1:8082/api/events (key credential "test")

Like an Event Grid topic it checks the ``aeg-sas-key`` header when a key is set, accepts
``application/cloudevents-batch+json`` (a JSON array) or ``application/cloudevents+json`` (one event)
and answers 200 with an empty body. Events are printed as JSON lines when run as a script.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLOUDEVENTS_BATCH = "application/cloudevents-batch+json"
CLOUDEVENTS_SINGLE = "application/cloudevents+json"


@dataclass
class Delivery:
    """One POST as received: path (with query), headers (lower-cased names) and its events."""

    path: str
    headers: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)


class EventGridReceiver:
    """Threaded HTTP receiver on 127.0.0.1; ``port=0`` picks a free port."""

    def __init__(self, port: int = 0, key: str | None = "test",
                 on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.key = key
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._on_event = on_event
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/events"

    @property
    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e for d in self.deliveries for e in d.events]

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()

    def start(self) -> EventGridReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, name="eventgrid-receiver",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> EventGridReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
        if self._on_event:
            for event in delivery.events:
                self._on_event(event)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = self.rfile.read(int(headers.get("content-length", "0")))
                if receiver.key is not None and headers.get("aeg-sas-key") != receiver.key:
                    self._answer(401, b'{"error":{"code":"Unauthorized"}}')
                    return
                media = headers.get("content-type", "").split(";")[0].strip().lower()
                try:
                    payload = json.loads(body or b"null")
                except ValueError:
                    self._answer(400, b'{"error":{"code":"BadRequest","message":"invalid JSON"}}')
                    return
                if media == CLOUDEVENTS_BATCH and isinstance(payload, list):
                    events = payload
                elif media == CLOUDEVENTS_SINGLE and isinstance(payload, dict):
                    events = [payload]
                else:
                    self._answer(415, b'{"error":{"code":"UnsupportedMediaType"}}')
                    return
                receiver._record(Delivery(path=self.path, headers=headers, events=events))
                self._answer(200, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if body:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--key", default="test", help="expected aeg-sas-key ('' accepts any)")
    args = parser.parse_args(argv)

    def show(event: dict[str, Any]) -> None:
        print(json.dumps(event, sort_keys=True), flush=True)

    receiver = EventGridReceiver(args.port, args.key or None, on_event=show)
    print(f"listening on {receiver.endpoint}", file=sys.stderr, flush=True)
    try:
        receiver._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
