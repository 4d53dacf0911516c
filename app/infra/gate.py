"""At most one waiting detection task per shard of learners: the enqueue after a commit
is skipped while one is already waiting for the event's shard.

Why: every Celery task costs the worker ~1.1-1.5 ms of CPU before any
detection runs (bench/throughput.py's peer: Celery alone drains 675-1,390 no-op
tasks per second per worker on a 2-vCPU box), and one detection settles every
pending event of many learners at once. A burst of 25 events for one learner
needs one task, not 25; a burst of one event for each of 5,000 learners needs
one task per shard (``DETECTION_GATE_SHARDS``), not 5,000.

A learner's shard is ``user_id % shards``. The shard count travels with the
task, so a worker configured with another count still releases and reads the
shard the recorder admitted to.

Why no event is missed — a key ``<prefix>:detect-waiting:<shards>:<shard>`` with a TTL:

* recording commits the event first, then ``admit`` does ``SET NX``. Only the
  caller that set the key enqueues; a caller that found it set skips;
* detection calls ``release`` (``DEL``) BEFORE it reads the shard's pending
  events, and then evaluates every learner of the shard with an event
  pending, not just its own. A caller that skipped found the key at a moment
  after its commit; whichever task set that key releases it after that moment
  and reads pending events after its release, so it sees the skipped event.
  A recorder that commits after the release sets the key again and enqueues a
  task of its own. (Any task may release: the argument needs only that the
  task which set the key reads after it releases.);
* a failed ``SET`` (Redis unreachable) counts as admitted: the enqueue is
  tried, and when it fails too, the outbox sweep re-enqueues the event, as
  without the gate. A failed enqueue deletes the key again; a key left behind
  (a process killed between SET and enqueue, a task that exhausted its
  retries) expires after ``DETECTION_GATE_SECONDS``, so skipped events are
  then covered by the next enqueue for that shard or by the sweep, which
  never goes through the gate. A failed ``release`` raises: detection must
  not read pending events while the gate still tells recorders to skip;
* a worker also releases when it *receives* the task (``release_on_receipt``),
  before a thread is free to run it. A worker that dies holding prefetched
  tasks then delays only the events those tasks stand for (until the
  broker's redelivery or the sweep, as before the gate), not every later
  event of their shards until the key expires. Our workers reserve one task
  per thread (``app.infra.celery.PREFETCH_MULTIPLIER``), so a task waits
  in the broker, gate closed, until a thread is nearly free: under load the
  shard's later events join it instead of adding tasks. When that release
  succeeded in the process that runs the task (the threads pool), the task
  skips its own (:func:`released_on_receipt`): its reads still follow a
  release, and an award's path is one Redis round trip shorter. A task run
  elsewhere (another pool process, a redelivery) finds no mark and releases.

Embedded (eager tasks, no Redis) and ``DETECTION_GATE_SECONDS = 0`` admit
every event: one task per event, evaluating its own learner, as before the gate.
"""

from __future__ import annotations

import logging
import threading

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)


class DetectionGate:
    """``admit`` before enqueuing a shard's detection, ``release`` before it reads."""

    def __init__(self, url: str | None, prefix: str, seconds: int, shards: int = 16) -> None:
        if shards < 1:
            raise ValueError("DETECTION_GATE_SHARDS must be at least 1")
        self.seconds = seconds
        self.prefix = prefix
        self._shards = shards
        self._client = (redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
                        if url and seconds > 0 else None)

    @property
    def enabled(self) -> bool:
        return self._client is not None

    @property
    def shards(self) -> int | None:
        """The shard count tasks carry; None when every event gets its own task."""
        return self._shards if self.enabled else None

    def key(self, user_id: int, shards: int | None = None) -> str:
        count = shards or self._shards
        return f"{self.prefix}:detect-waiting:{count}:{shard_of(user_id, count)}"

    def admit(self, user_id: int) -> bool:
        """True: the caller must enqueue. False: a waiting task will see its committed event."""
        if self._client is None:
            return True
        try:
            return bool(self._client.set(self.key(user_id), 1, nx=True, ex=self.seconds))
        except redis.RedisError:
            log.warning("detection gate unreachable; enqueuing learner %s's task", user_id)
            return True

    def reopen(self, user_id: int) -> None:
        """After a failed enqueue: let the shard's next event try again (best effort)."""
        if self._client is None:
            return
        try:
            self._client.delete(self.key(user_id))
        except redis.RedisError:
            log.warning("detection gate unreachable; learner %s's key expires by itself", user_id)

    def release(self, user_id: int, shards: int) -> None:
        """Before reading the shard's pending events; raises when Redis did not answer."""
        if self._client is not None:
            self._client.delete(self.key(user_id, shards))


def shard_of(user_id: int, shards: int) -> int:
    """The learner's shard: its gate key, and what its task reads (``mod(user_id, n)``)."""
    return user_id % shards


_RECEIPTS_KEPT = 10_000  # marks of tasks received but not run yet (dropping them is safe)
_released: set[str] = set()
_released_lock = threading.Lock()


def release_on_receipt(app: Flask, user_id: int, shards: int, task_id: str | None = None) -> None:
    """Best effort, in the worker's consumer; on success ``task_id`` is marked so that the
    task, run in this process, need not release again (:func:`released_on_receipt`)."""
    try:
        app.extensions["detection_gate"].release(user_id, shards)
    except redis.RedisError:
        log.warning("detection gate unreachable on receipt of learner %s's task", user_id)
        return
    if task_id:
        with _released_lock:
            if len(_released) >= _RECEIPTS_KEPT:
                _released.clear()  # only costs those tasks a release of their own
            _released.add(task_id)


def released_on_receipt(task_id: str | None) -> bool:
    """Whether this process released the gate when it received task ``task_id`` (the mark
    is used up: a second run of the task releases by itself)."""
    if not task_id:
        return False
    with _released_lock:
        if task_id in _released:
            _released.discard(task_id)
            return True
    return False


def init_gate(app: Flask) -> None:
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    url = None if settings.tasks_eager else settings.REDIS_URL
    app.extensions["detection_gate"] = DetectionGate(url, settings.CHANNEL_PREFIX,
                                                     settings.DETECTION_GATE_SECONDS,
                                                     settings.DETECTION_GATE_SHARDS)


def gate() -> DetectionGate:
    return current_app.extensions["detection_gate"]
