"""kombu's Redis channel shares one client per connection pool (app/infra/broker.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection

from app.infra.broker import adjust_redis_transport
from tests.support.services import REDIS_BASE_URL, redis_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def chan() -> Iterator[Any]:
    """A channel of a real connection (kombu pings Redis when it opens one)."""
    redis_settings()  # requires Redis
    adjust_redis_transport()
    with Connection(f"{REDIS_BASE_URL}/0") as connection:
        yield connection.default_channel


def test_a_channel_reuses_its_client(chan: Any) -> None:
    assert chan._create_client() is chan._create_client()


def test_a_new_pool_gets_a_new_client(chan: Any) -> None:
    first = chan._create_client()
    chan._disconnect_pools()  # what a disconnect or a fork does
    second = chan._create_client()
    assert second is not first
    assert second.connection_pool is chan.pool


def test_the_asynchronous_client_is_still_built_per_call(chan: Any) -> None:
    assert chan._create_client(asynchronous=True) is not chan._create_client(asynchronous=True)
