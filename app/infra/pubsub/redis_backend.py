"""Redis pub/sub: one pattern subscription per process, reconnecting with backoff.

Pub/sub is fire-and-forget, so while the subscription is down messages are
lost; after reconnecting the hub tells every reader to resync, and readers
replay from the database by award id. That is what keeps "no missed
notification" true across a Redis restart.

The listener is a plain ``threading.Thread``; under gevent's monkey-patching
(gunicorn ``-k gevent``) it is a greenlet and its socket reads yield to the
request greenlets, so one process serves thousands of streams with this one
connection.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from app.infra.pubsub.hub import Hub

log = logging.getLogger(__name__)

MAX_BACKOFF = 2.0
POLL_SECONDS = 5.0


class RedisBackend:
    poll_seconds: float | None = None  # one channel reaches every process

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self._ready = threading.Event()
        self._subscribed = False

    def channel(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}"

    def publish(self, user_id: int, message: dict[str, Any]) -> None:
        self._client.publish(self.channel(user_id), json.dumps(message, default=str))

    def publish_many(self, messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """One pipelined round trip for a whole detection batch."""
        pipe = self._client.pipeline(transaction=False)
        for user_id, message in messages:
            pipe.publish(self.channel(user_id), json.dumps(message, default=str))
        pipe.execute()

    def start(self, hub: Hub) -> None:
        self._ready = threading.Event()
        thread = threading.Thread(target=self._listen_forever, args=(hub,), daemon=True,
                                  name="achievements-redis-subscriber")
        thread.start()

    def wait_ready(self, timeout: float) -> bool:
        """True once the first subscription is live. Later outages do not block readers:
        they get a resync when the subscription comes back."""
        return self._ready.wait(timeout=timeout)

    def _listen_forever(self, hub: Hub) -> None:
        delay = 0.1
        resync = False
        while True:
            self._subscribed = False
            try:
                self._listen(hub, resync)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("redis subscription lost (%s); reconnecting in %.1fs", exc, delay)
            except Exception:  # never let the one listener die: every stream depends on it
                log.exception("redis listener failed; reconnecting in %.1fs", delay)
            resync = True
            delay = 0.1 if self._subscribed else min(delay * 2, MAX_BACKOFF)
            time.sleep(delay)

    def _listen(self, hub: Hub, resync: bool) -> None:
        client = redis.Redis.from_url(self.url, socket_keepalive=True, health_check_interval=10)
        pubsub = client.pubsub(ignore_subscribe_messages=False)
        try:
            pubsub.psubscribe(f"{self.prefix}:user:*")
            while True:
                message = pubsub.get_message(timeout=POLL_SECONDS)
                if message is None:
                    pubsub.ping()  # detects a dead connection on an idle channel
                else:
                    self._handle(hub, message, resync)
        finally:
            pubsub.close()
            client.close()

    def _handle(self, hub: Hub, message: dict[str, Any], resync: bool) -> None:
        if message["type"] == "psubscribe":
            self._subscribed = True
            self._ready.set()
            if resync:
                hub.resync_all()
        elif message["type"] == "pmessage":
            self._dispatch(hub, message)

    def _dispatch(self, hub: Hub, message: dict[str, Any]) -> None:
        try:
            user_id = int(str(message["channel"], "utf-8").rsplit(":", 1)[1])
            hub.dispatch(user_id, json.loads(message["data"]))
        except (ValueError, KeyError, IndexError):
            log.exception("malformed pub/sub message dropped")
