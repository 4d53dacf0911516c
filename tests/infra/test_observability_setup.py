"""The pieces each process sets up before it serves: settings read by type, the metrics
storage per role, JSON log lines with the request id. Process-wide effects run in a child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import Config
from app.infra.context import accepted_request_id
from tests.support.services import ROOT


def child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("ACHIEVEMENTS_", "PROMETHEUS_"))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "PYTHONPATH": str(ROOT), **env}, timeout=60)


def test_settings_are_read_by_their_type(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"GRPC_PORT": "6000", "SSE_PING_SECONDS": "2.5", "METRICS_PUBLIC": "yes",
                        "TASKS_EAGER": "off", "RULES": '{"streak": {"thresholds": [3]}}',
                        "METRICS_DIR": "/srv/metrics", "PUBLIC_URL": "https://a.example/",
                        "DATABASE_URL": "postgresql://db/x", "TESTING": "true",
                        "WORKER_METRICS_PORT": ""}.items():
        monkeypatch.setenv(f"ACHIEVEMENTS_{name}", value)
    settings = Config.from_env()
    assert (settings.GRPC_PORT, settings.SSE_PING_SECONDS) == (6000, 2.5)
    assert settings.METRICS_PUBLIC is True and settings.TASKS_EAGER is False
    assert settings.RULES == {"streak": {"thresholds": [3]}}
    assert settings.METRICS_DIR == "/srv/metrics" and settings.WORKER_METRICS_PORT == 0
    assert settings.PUBLIC_URL == "https://a.example"
    assert settings.DATABASE_URL == "postgresql+psycopg://db/x"
    assert settings.TESTING is False  # code-only
    assert Config().TASKS_EAGER is None  # unset: follows the embedded mode


@pytest.mark.parametrize("offered", [None, "", "x" * 65, "a b", "id\nforged", "ü"])
def test_unfit_request_ids_are_replaced(offered: str | None) -> None:
    assert len(accepted_request_id(offered)) == 32


def test_plain_request_ids_are_kept() -> None:
    assert accepted_request_id("lms-42:attempt.7_b") == "lms-42:attempt.7_b"


def test_a_role_gets_a_fresh_folder_of_its_own(tmp_path: Path) -> None:
    stale = tmp_path / "worker" / "counter_123.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    done = child("from app.infra.metrics import processes\n"
                 "print(processes.prepare('worker', fresh=True))\n"
                 "import os; print(os.environ['PROMETHEUS_MULTIPROC_DIR'])\n",
                 {"ACHIEVEMENTS_METRICS_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path / "worker")] * 2
    assert not stale.exists()


def test_the_storage_must_be_settled_before_the_client_loads(tmp_path: Path) -> None:
    done = child("import prometheus_client\nfrom app.infra.metrics import processes\n"
                 "processes.prepare('web', fresh=True)\n",
                 {"ACHIEVEMENTS_METRICS_DIR": str(tmp_path)})
    assert done.returncode != 0 and "imported before" in done.stderr


def test_switched_off_no_storage_is_set(tmp_path: Path) -> None:
    done = child("from app.infra.metrics import processes\n"
                 "print(processes.prepare('grpc', fresh=True))\n",
                 {"ACHIEVEMENTS_METRICS_DIR": str(tmp_path), "ACHIEVEMENTS_METRICS_ENABLED": "0"})
    assert done.stdout.strip() == "None" and not (tmp_path / "grpc").exists()


def test_json_lines_carry_the_request_id(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "from app import create_app\n"
        "from app.infra import context\n"
        "create_app()\n"
        "context.request_id.set('req-7'); via = context.transport.set('rest')\n"
        "logging.getLogger('app.x').info('hello %s', 'there', extra={'event_id': 3})\n"
        "context.request_id.set(None); context.transport.reset(via)\n"
        "logging.getLogger('app.x').info('own', extra={'request_id': 'other'})\n"
        "logging.getLogger('app.x').debug('hidden')\n"
    )
    done = child(code, {"ACHIEVEMENTS_LOG_FORMAT": "json",
                        "ACHIEVEMENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["hello there", "own"]
    first, second = lines
    assert first["request_id"] == "req-7" and first["transport"] == "rest"
    assert first["event_id"] == 3 and first["level"] == "INFO" and first["logger"] == "app.x"
    assert second["request_id"] == "other" and second["transport"] == "internal"
