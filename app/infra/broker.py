"""Two adjustments to kombu 5.7's Redis transport, applied once per process.

Both replace a method of ``kombu.transport.redis.Channel`` and call the
original; each says what it fixes and which measurement or test found it.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def adjust_redis_transport() -> None:
    _survive_broker_loss()
    _reuse_clients()


def _survive_broker_loss() -> None:
    """Keep the worker alive when Redis goes away while it holds unacked tasks.

    kombu 5.7's Redis channel builds new clients from its connection even after
    that connection was closed (restoring unacked messages on close, acking a
    message of the previous connection after a reconnect); the missing
    connection raises AttributeError, which escapes as "Unrecoverable error" and
    the worker exits (found by tests/faults F2: Redis restarted mid-burst).
    Raising redis's ConnectionError instead lets kombu treat it as the broker
    outage it is and reconnect. Nothing is lost: an unacked task stays in
    Redis's unacked set until the visibility timeout, and if Redis itself lost
    it, the outbox sweep re-enqueues its event.
    """
    import redis
    from kombu.transport import redis as kombu_redis

    connparams = kombu_redis.Channel._connparams

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise redis.ConnectionError("the broker connection of this channel is closed")
        return connparams(self, asynchronous)

    kombu_redis.Channel._connparams = _connparams


def _reuse_clients() -> None:
    """One ``redis.Redis`` per channel and connection pool, instead of one per command.

    kombu builds a new client (``Channel._create_client``) for every publish,
    every ack and every unacked-bookkeeping step; ``redis.Redis.__init__``
    builds its response-callback tables each time. In a worker that was ~16 %
    of the CPU of a task (py-spy, tasks whose event a batch had settled), and
    it is part of every enqueue in the web and gRPC processes. A client holds
    no connection of its own (commands and pipelines check one out of the
    pool, which is thread-safe), so one can be shared; it is rebuilt whenever
    the channel's pool is replaced (after a disconnect or a fork), and reading
    ``self.pool`` first keeps the closed-connection check above.
    """
    from kombu.transport import redis as kombu_redis

    create = kombu_redis.Channel._create_client

    def _create_client(self: Any, asynchronous: bool = False) -> Any:
        if asynchronous:
            return create(self, asynchronous=True)
        pool = self.pool
        client = self.__dict__.get("_shared_client")
        if client is None or client.connection_pool is not pool:
            client = self.__dict__["_shared_client"] = create(self)
        return client

    kombu_redis.Channel._create_client = _create_client
