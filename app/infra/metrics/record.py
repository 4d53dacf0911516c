"""What the code calls to move a series: one function per fact, no prometheus-client
types outside this package. With ``METRICS_ENABLED=false`` every call returns at once
(``bench/metrics_overhead.py`` measures the difference)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from app.infra.context import transport
from app.infra.metrics import series


class _Switch:
    on = True


_switch = _Switch()


def configure(enabled: bool) -> None:
    _switch.on = enabled


def progress_received(kind: str, created: bool) -> None:
    if _switch.on:
        outcome = "created" if created else "replayed"
        series.PROGRESS_EVENTS.labels(transport.get(), kind, outcome).inc()


def detection_enqueued(outcome: str) -> None:
    if _switch.on:
        series.DETECTION_ENQUEUES.labels(outcome).inc()


def detection_task(outcome: str, seconds: float) -> None:
    if _switch.on:
        series.DETECTION_TASKS.labels(outcome).inc()
        series.DETECTION_TASK_SECONDS.observe(seconds)


def events_settled(lags: Iterable[float]) -> None:
    """Each settled event's lag, recorded -> committed, in seconds."""
    if _switch.on:
        for lag in lags:
            series.DETECTION_LAG.observe(max(lag, 0.0))


def awards_stored(types: Iterable[str]) -> None:
    if _switch.on:
        for kind, count in Tally(types).items():
            series.AWARDS_STORED.labels(kind).inc(count)


def awards_published(count: int) -> None:
    if _switch.on and count:
        series.AWARDS_PUBLISHED.inc(count)


def publish_failed(count: int) -> None:
    if _switch.on and count:
        series.PUBLISH_FAILURES.inc(count)


def swept(what: str, count: int) -> None:
    if _switch.on and count:
        series.SWEPT.labels(what).inc(count)


def live_feed(via: str, delta: int) -> None:
    """A live award feed opened (+1) or closed (-1)."""
    if _switch.on:
        series.LIVE_CONNECTIONS.labels(via).inc(delta)


def http_answered(route: str, method: str, status: int, seconds: float) -> None:
    if _switch.on:
        series.HTTP_REQUESTS.labels(route, method, str(status)).inc()
        series.HTTP_SECONDS.labels(route).observe(seconds)


def grpc_answered(method: str, code: str, seconds: float | None) -> None:
    """``seconds`` None for streams, whose length is the client's choice."""
    if _switch.on:
        series.GRPC_CALLS.labels(method, code).inc()
        if seconds is not None:
            series.GRPC_SECONDS.labels(method).observe(seconds)


def beat_sent(task: str) -> None:
    if _switch.on:
        series.BEAT_SENT.labels(task).inc()


def signed_in(protocol: str, created: bool) -> None:
    if _switch.on:
        series.SIGN_INS.labels(protocol, "created" if created else "existing").inc()


def signin_refused(protocol: str, reason: str) -> None:
    if _switch.on:
        series.SIGN_IN_REFUSALS.labels(protocol, reason).inc()
