"""Redis pub/sub: one pattern subscription per process, reconnecting with backoff.

Pub/sub is fire-and-forget, so while the subscription is down messages are
lost; after reconnecting the hub tells every reader to resync, and readers
replay from the database by award id. That is what keeps "no missed
notification" true across a Redis restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from app.notify.hub import Hub

log = logging.getLogger(__name__)


class RedisBackend:
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self.ready = threading.Event()

    def channel(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}"

    def publish(self, user_id: int, message: dict[str, Any]) -> None:
        self._client.publish(self.channel(user_id), json.dumps(message, default=str))

    def start(self, hub: Hub) -> None:
        thread = threading.Thread(target=self._listen_forever, args=(hub,), daemon=True)
        thread.name = "achievements-redis-subscriber"
        thread.start()
        # A reader replays from the database right after subscribing; the pattern
        # subscription must be live by then or an award in between would be missed.
        self.ready.wait(timeout=5.0)

    def _listen_forever(self, hub: Hub) -> None:
        delay = 0.1
        first = True
        while True:
            try:
                self._listen(hub, resync=not first)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("redis subscription lost (%s); reconnecting in %.1fs", exc, delay)
            first = False
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _listen(self, hub: Hub, resync: bool) -> None:
        client = redis.Redis.from_url(self.url, health_check_interval=10)
        pubsub = client.pubsub()
        pubsub.psubscribe(f"{self.prefix}:user:*")
        while True:
            message = pubsub.get_message(timeout=5.0)
            if message is None:
                pubsub.ping()
            elif message["type"] == "psubscribe":
                self.ready.set()
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
