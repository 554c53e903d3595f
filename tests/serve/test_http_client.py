"""The HTTP inference client's retry policy, against a real local server that answers from a script."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

from shared.adapters.inference_http import (
    HttpTranslator,
    InferenceError,
    backoff_delay,
    parse_retry_after,
)
from shared.inference.wire import REQUEST_ID_HEADER
from tests.fixtures.serve import refused_url, scripted_server

OK = (200, {}, {"texts": ["hello"], "model": {"name": "mt"}})


def client(url: str, **kw: object) -> HttpTranslator:
    kw = {"timeout_s": 5.0, "backoff_base_s": 0.05, "backoff_cap_s": 0.2, **kw}
    return HttpTranslator(url, **kw)  # type: ignore[arg-type]


def test_429_retry_after_is_honoured() -> None:
    with scripted_server([(429, {"Retry-After": "1"}, {"error": "busy"}), OK]) as srv:
        t0 = time.monotonic()
        out = client(srv.url).translate(["hallo"], "de", "en")
        elapsed = time.monotonic() - t0
    assert out == ["hello"]
    assert len(srv.requests) == 2
    gap = srv.requests[1]["t"] - srv.requests[0]["t"]
    assert 1.0 <= gap < 3.0 and elapsed >= 1.0  # waited what the server asked, not the 0.05 s back-off
    ids = {r["headers"][REQUEST_ID_HEADER] for r in srv.requests}
    assert len(ids) == 1  # one logical call, one request id across attempts


def test_500_retried_then_succeeds() -> None:
    with scripted_server([(500, {}, {"error": "internal"}), (503, {}, {}), OK]) as srv:
        assert client(srv.url).translate(["hallo"], "de", "en") == ["hello"]
    assert len(srv.requests) == 3
    assert all(r["body"] == srv.requests[0]["body"] for r in srv.requests)


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
def test_other_4xx_not_retried(status: int) -> None:
    with scripted_server([(status, {}, {"error": "bad_request", "detail": "nope"}), OK]) as srv, \
            pytest.raises(InferenceError) as ei:
        client(srv.url).translate(["hallo"], "de", "en")
    assert len(srv.requests) == 1
    assert ei.value.status == status
    assert ei.value.code == "bad_request"


def test_attempts_are_bounded() -> None:
    with scripted_server([(503, {}, {"error": "not_ready"})]) as srv, \
            pytest.raises(InferenceError, match="after 3 attempt"):
        client(srv.url, max_attempts=3).translate(["hallo"], "de", "en")
    assert len(srv.requests) == 3


def test_total_time_is_bounded_even_when_server_asks_for_long_waits() -> None:
    with scripted_server([(429, {"Retry-After": "30"}, {})]) as srv:
        t0 = time.monotonic()
        with pytest.raises(InferenceError, match="HTTP 429"):
            client(srv.url, backoff_cap_s=60.0, max_total_s=2.0).translate(["x"], "de", "en")
        assert time.monotonic() - t0 < 1.5  # gave up at once: the wait would overrun the budget
    assert len(srv.requests) == 1


def test_connection_errors_retried_then_give_up() -> None:
    c = client(refused_url(), max_attempts=3)
    t0 = time.monotonic()
    with pytest.raises(InferenceError, match="ConnectionError"):
        c.translate(["x"], "de", "en")
    elapsed = time.monotonic() - t0
    # two back-offs of 0.05 and 0.1 s ceilings (equal jitter: at least half each)
    assert 0.07 <= elapsed < 2.0


def test_model_info_fetched_once() -> None:
    summary = {"whisper": None, "translation": {"name": "mt", "sha256": "ab", "precision": "fp32"}}
    with scripted_server([(200, {}, summary)]) as srv:
        c = client(srv.url)
        assert c.model_info == summary["translation"]
        assert c.model_info == summary["translation"]
    assert [r["path"] for r in srv.requests] == ["/v1/model"]


def test_bearer_token_attached_with_credential() -> None:
    calls: list[str] = []

    def get_token(scope: str) -> SimpleNamespace:
        calls.append(scope)
        return SimpleNamespace(token="tok123")

    cred = SimpleNamespace(get_token=get_token)
    with scripted_server([OK]) as srv:
        client(srv.url, credential=cred, scope="api://toex-inference/.default").translate(["x"], "de", "en")
    assert srv.requests[0]["headers"]["Authorization"] == "Bearer tok123"
    assert calls == ["api://toex-inference/.default"]
    with pytest.raises(ValueError, match="scope"):
        HttpTranslator("http://x", credential=cred)


def test_retry_after_parsing_and_backoff() -> None:
    now = time.time()
    when = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after("3") == 3.0
    assert 6.0 <= (parse_retry_after(when, now=now) or 0) <= 7.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    d = [backoff_delay(a, "req", 1.0, 8.0) for a in range(6)]
    assert d == [backoff_delay(a, "req", 1.0, 8.0) for a in range(6)]  # repeatable
    for a, x in enumerate(d):
        ceiling = min(8.0, 2.0**a)
        assert ceiling / 2 <= x <= ceiling
    assert backoff_delay(3, "other", 1.0, 8.0) != d[3]  # spread across requests
