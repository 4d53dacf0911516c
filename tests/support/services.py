"""Real PostgreSQL, Redis and Celery worker and beat processes for integration, fault and
browser tests (the web server under gunicorn: ``tests.support.web_server``).

Under ``CI=true`` a missing service fails the test run; elsewhere it skips.
Every run gets its own database, Redis db number, channel prefix and queue,
so concurrent runs on one machine do not steal each other's tasks.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    pass

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct-horse-42"  # every learner WebServer.new_learner makes
PG_ADMIN_URL = os.environ.get("ACHIEVEMENTS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("ACHIEVEMENTS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, why: str) -> None:
    """Fail under CI, skip elsewhere: integration must never silently vanish in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required service missing under CI=true: {why}", pytrace=False)
    pytest.skip(why)


def pg_available() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc)
    return None


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database migrated to head; dropped afterwards."""

    error = pg_available()
    require(error is None, f"PostgreSQL at {PG_ADMIN_URL}: {error}")
    with scratch_database("ach_test") as url:
        yield url


@pytest.fixture(scope="module", name="pg_url")
def module_database() -> Iterator[str]:
    """The ``pg_url`` fixture of a test module that imports this: a fresh migrated database
    of the module's own, dropped after it, instead of the run's shared one."""
    with fresh_database() as url:
        yield url


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """Create ``<prefix>_<random>`` migrated to head, drop it afterwards (tests and benchmarks)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    template = migrated_template()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@cache
def migrated_template() -> str:
    """A database migrated to head once per schema (named by a hash of ``migrations/``) that
    scratch databases are copied from: a copy takes ~0.1 s, ``flask db upgrade`` a Python
    process ~2 s. It takes no connections (a copy needs none open on it) and stays for
    later runs; two test processes starting together build it once (an advisory lock)."""
    import psycopg

    name = f"ach_template_{schema_digest()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('ach_template'))")  # until disconnect
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (name,)).fetchone() is None:
            building = f"{name}_building"
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{building}"')
            migrate(database_url(building))
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    return name


def schema_digest() -> str:
    """What the migrations build, named: a hash of every file under ``migrations/``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in (ROOT / "migrations").rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def migrate(url: str) -> None:
    flask_command({"DATABASE_URL": url}, "db", "upgrade")


def flask_command(settings: dict[str, str], *args: str) -> None:
    """``flask --app wsgi <args>`` on these settings; a failure says why (its stderr)."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=service_env(settings), capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed: {done.stderr[-3000:]}")


def redis_settings() -> dict[str, str]:
    """A Redis URL on a random db number plus a unique prefix and queue."""
    import redis

    try:
        redis.Redis.from_url(REDIS_BASE_URL, socket_timeout=3).ping()
        error = None
    except redis.RedisError as exc:
        error = str(exc)
    require(error is None, f"Redis at {REDIS_BASE_URL}: {error}")
    tag = uuid.uuid4().hex[:10]
    return {
        "REDIS_URL": f"{REDIS_BASE_URL}/{random.randint(1, 15)}",
        "CHANNEL_PREFIX": f"ach-test-{tag}",
        "CELERY_QUEUE": f"ach-test-{tag}",
    }


def service_env(settings: dict[str, str]) -> dict[str, str]:
    """Environment for a subprocess built from test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACHIEVEMENTS_")}
    env.update({f"ACHIEVEMENTS_{k}": str(v) for k, v in settings.items()})
    env["PYTHONPATH"] = str(ROOT)
    return env


class Worker:
    """A real ``celery worker`` subprocess consuming this run's queue."""

    def __init__(self, settings: dict[str, str], concurrency: int = 2, name: str = "w1",
                 pool: str | None = None, queues: Sequence[str] = ()) -> None:
        # By setting, not -P: celery cannot tell "-P prefork" from its default,
        # so a configured pool would win over it. None: ACHIEVEMENTS_WORKER_POOL.
        self.settings = {**settings, "WORKER_POOL": pool} if pool else dict(settings)
        # Each server process group its own metrics files (a role wipes its folder on start).
        self.settings.setdefault("METRICS_DIR", tempfile.mkdtemp(prefix="metrics-"))
        self.concurrency = concurrency
        self.queues = list(queues)  # none: the run's CELERY_QUEUE; else e.g. NOTIFY_QUEUE's
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ARTIFACTS / f"worker-{name}-{uuid.uuid4().hex[:6]}.log"
        self.extra_args: list[str] = []

    ready_marker = b"ready."

    def command(self) -> list[str]:
        queues = ",".join(self.queues or [self.settings["CELERY_QUEUE"]])
        return [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
                "-Q", queues, "-c", str(self.concurrency),
                "-n", f"{self.name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip",
                "--without-mingle", "-l", "INFO", *self.extra_args]

    def start(self, timeout: float = 30.0) -> Worker:
        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=service_env(self.settings),
                                        stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def children(self) -> list[int]:
        """Pids of the pool processes (the prefork children doing the work; none for threads)."""
        return child_pids(self.pid)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            if self.ready_marker in self.log_path.read_bytes():
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready: {self.log_path.read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Beat(Worker):
    """A real ``celery beat`` subprocess: runs the outbox sweep on its schedule."""

    ready_marker = b"beat: Starting"

    def command(self) -> list[str]:
        schedule = self.log_path.with_suffix(".schedule")
        return [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat",
                "-s", str(schedule), "-l", "INFO"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        found.extend(int(child) for child in children)
    return found
