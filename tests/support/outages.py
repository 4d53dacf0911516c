"""Faults injected into this machine's services: Redis stopped, PostgreSQL connections
dropped or the whole server stopped — each always restored (F2, F3)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.services import PG_ADMIN_URL, REDIS_BASE_URL, require, wait_for

REDIS_PORT = int(REDIS_BASE_URL.rsplit(":", 1)[1].split("/")[0])
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
               "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
               "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_BASE_URL, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@contextmanager
def redis_outage() -> Iterator[None]:
    """Stop Redis (it keeps nothing on disk: queues and channels are lost) and ALWAYS restart it.

    Other test runs share this Redis, so the caller keeps the body short.
    """
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"],
                   capture_output=True, timeout=10)
    try:
        wait_for(lambda: not redis_up(), timeout=10, what="Redis to stop")
        yield
    finally:
        if not redis_up():
            subprocess.run(REDIS_START, check=True, capture_output=True, timeout=10)
        wait_for(redis_up, timeout=10, what="Redis to come back")


def terminate_connections(database_url: str) -> int:
    """``pg_terminate_backend`` every connection to this run's own database; returns how many."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return len(rows)


def postgres_up() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=1):
            return True
    except psycopg.OperationalError:
        return False


def postgres_cluster() -> list[str] | None:
    """``pg_ctlcluster`` for this machine's cluster (Debian layout), when we may drive it."""
    if "@127.0.0.1:5432/" not in PG_ADMIN_URL or not Path("/etc/postgresql").is_dir():
        return None
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    if not versions or os.geteuid() != 0:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


@contextmanager
def postgres_outage() -> Iterator[None]:
    """Stop the machine's PostgreSQL (``-m fast``: every client is disconnected) and ALWAYS
    start it again; its data is on disk, so every database comes back as it was."""
    cluster = postgres_cluster()
    require(cluster is not None, "needs the local Debian PostgreSQL cluster, run as root")
    assert cluster is not None
    subprocess.run([*cluster, "stop", "-m", "fast"], check=True, capture_output=True, timeout=60)
    try:
        wait_for(lambda: not postgres_up(), timeout=10, what="PostgreSQL to stop")
        yield
    finally:
        if not postgres_up():
            subprocess.run([*cluster, "start"], check=True, capture_output=True, timeout=60)
        wait_for(postgres_up, timeout=30, what="PostgreSQL to come back")
