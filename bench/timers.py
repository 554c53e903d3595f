"""Wall-clock timers wrapped around an engine's parts (features, encoder, decoder calls).

``Timed`` forwards every attribute to its target and times the named methods (or the call
itself), adding seconds and counts to a shared ``Stopwatch``. It touches no engine code: the
benchmark swaps an engine's attributes for proxies, runs, and reads the totals.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any


class Stopwatch:
    """Seconds and call counts by part name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t0
                self.calls[name] += 1
        return timed

    def clear(self) -> None:
        self.seconds.clear()
        self.calls.clear()


class Timed:
    """Proxy for ``target`` timing ``methods`` (``'__call__'`` times calling the proxy)."""

    def __init__(self, target: Any, label: str, methods: Iterable[str], watch: Stopwatch) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_timed", {m: watch.wrap(f"{label}.{m}", getattr(target, m))
                                            for m in methods})

    def __getattr__(self, name: str) -> Any:
        timed = object.__getattribute__(self, "_timed")
        return timed[name] if name in timed else getattr(object.__getattribute__(self, "_target"), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_timed")["__call__"](*args, **kwargs)


def breakdown(watch: Stopwatch, total: float) -> list[tuple[str, float, int]]:
    """(part, seconds, calls) sorted by time, plus the untimed rest ('other: python decoding')."""
    rows = sorted(((k, v, watch.calls[k]) for k, v in watch.seconds.items()), key=lambda r: -r[1])
    rows.append(("other (python: filters, search, tokenizer)", max(0.0, total - sum(watch.seconds.values())), 0))
    return rows
