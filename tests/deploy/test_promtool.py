"""Prometheus' own tool checks what we hand to operators: the alert rules load and fire on
made-up series as intended (``deploy/prometheus/alerts_test.yml``), the scrape config
loads, and a real scrape of the service passes its metrics lint."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.services import ROOT, require

DEPLOY = ROOT / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    require(path is not None, "promtool (Debian's prometheus package; tests/run installs it)")
    return str(path)


def run(promtool: str, *args: str, cwd: Path = DEPLOY, stdin: bytes | None = None) -> str:
    done = subprocess.run([promtool, *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=60, check=False)
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, output
    return output


def test_alert_rules_load_and_fire_as_intended(promtool: str) -> None:
    assert "SUCCESS: 7 rules found" in run(promtool, "check", "rules", "alerts.yml")
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts_test.yml")


def test_the_scrape_config_loads(promtool: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("ach_example\n")
    config = (DEPLOY / "prometheus.yml").read_text()
    assert "/etc/prometheus/achievements-metrics.token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/achievements-metrics.token", str(token)))
    shutil.copy(DEPLOY / "alerts.yml", tmp_path / "alerts.yml")
    assert "SUCCESS" in run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)


def test_a_real_scrape_passes_the_metrics_lint(promtool: str, client, catalog, learner,
                                               make_token) -> None:
    token = make_token("progress:write", "metrics:read")
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/progress-events", headers=headers,
                json={"user_id": learner.id, "kind": "module_completed", "module": "c1-u1-m1",
                      "idempotency_key": "lint"})
    scrape = client.get("/metrics", headers=headers)
    assert scrape.status_code == 200 and b"achievements_detection_lag_seconds_bucket" in scrape.data
    run(promtool, "check", "metrics", stdin=scrape.data)
