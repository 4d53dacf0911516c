"""Admission and shutdown of WatchAchievements streams.

A sync gRPC server serves each stream on one pool thread for its whole life,
so streams are capped below the pool size (unary calls always find a thread)
and every stream must notice promptly that its client left or the server is
stopping. ``live.follow`` blocks on the learner's inbox between awards; the
gate wakes that inbox (a resync message: the reader re-checks the database,
then its ``stopped`` callback) instead of waiting for the next heartbeat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import grpc
from flask import Flask

from app.infra.pubsub import hub
from app.infra.pubsub.hub import RESYNC

STOPPING = "the server is stopping; reconnect with after_id set to the last award id received"


class StreamGate:
    def __init__(self, app: Flask, limit: int, heartbeat: float) -> None:
        self.app = app
        self.heartbeat = heartbeat
        self._slots = threading.BoundedSemaphore(limit)
        self._stopping = threading.Event()

    @contextmanager
    def admit(self, context: grpc.ServicerContext,
              user_id: int | None) -> Iterator[Callable[[], bool]]:
        """Hold a stream slot; yields the ``stopped`` callback the live feed polls."""
        if self._stopping.is_set():
            context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)
        if not self._slots.acquire(blocking=False):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          "too many watch streams on this server; retry with backoff")
        context.add_callback(lambda: self._wake(user_id))
        try:
            yield lambda: self._stopping.is_set() or not context.is_active()
        finally:
            self._slots.release()
        if self._stopping.is_set() and context.is_active():
            context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)

    def stop(self) -> None:
        """Make every open stream end now (with UNAVAILABLE) and refuse new ones."""
        self._stopping.set()
        hub(self.app).resync_all()

    def _wake(self, user_id: int | None) -> None:
        """The call ended (client cancel, deadline): wake its reader so the thread is freed."""
        hub(self.app).dispatch(user_id, RESYNC)  # type: ignore[arg-type]
