"""The Grafana dashboard and the Prometheus alerts in deploy/ only query series the code
exports, and each alert carries what an on-call person needs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram

from app.infra.metrics import series

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "achievements-dashboard.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
SERIES_NAME = re.compile(r"achievements_[a-z_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every sample name the service exposes: series.py's metrics as prometheus-client
    writes them, plus the web role's three scrape-time outbox gauges."""
    names = set()
    for value in vars(series).values():
        if isinstance(value, Counter | Gauge | Histogram):
            for family in value.describe():
                names.update(family.name + end for end in SUFFIXES[family.type])
    return names | {series.OUTBOX_PENDING, series.OUTBOX_STALE, series.OUTBOX_OLDEST}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, with those nested in rows."""
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in _panels(dashboard["panels"])
            for target in panel.get("targets", []) if "expr" in target]


def test_exported_names_follow_prometheus_client(exported: set[str]) -> None:
    assert "achievements_progress_events_total" in exported
    assert "achievements_detection_lag_seconds_bucket" in exported
    assert "achievements_live_connections" in exported
    assert "achievements_outbox_stale_events" in exported
    assert "achievements_progress_events" not in exported  # counters only with _total


def test_dashboard_queries_only_exported_series(dashboard: dict[str, Any],
                                                exported: set[str]) -> None:
    exprs = _dashboard_exprs(dashboard)
    assert exprs
    used = {name for expr in exprs for name in SERIES_NAME.findall(expr)}
    assert used - exported == set()


def test_alerts_query_only_exported_series(rules: list[dict[str, Any]],
                                           exported: set[str]) -> None:
    used = {name for rule in rules for name in SERIES_NAME.findall(rule["expr"])}
    assert used
    assert used - exported == set()


def test_each_alert_says_how_long_how_bad_and_what(rules: list[dict[str, Any]]) -> None:
    assert rules
    for rule in rules:
        assert rule.get("alert"), rule
        assert rule.get("expr"), rule["alert"]
        assert rule.get("for"), rule["alert"]
        assert rule.get("labels", {}).get("severity"), rule["alert"]
        assert rule.get("annotations", {}).get("summary"), rule["alert"]
        assert rule["annotations"].get("description"), rule["alert"]


def test_dashboard_covers_the_issue(dashboard: dict[str, Any]) -> None:
    assert dashboard["title"] == "Learner achievements"
    assert dashboard["uid"]
    titles = " ".join(panel.get("title", "") for panel in _panels(dashboard["panels"])).lower()
    for word in ("throughput", "lag", "backlog", "connections", "errors"):
        assert word in titles, word
    assert any(panel["type"] == "heatmap" for panel in _panels(dashboard["panels"]))
    assert "histogram_quantile(0.99" in " ".join(_dashboard_exprs(dashboard))


def test_dashboard_panels_use_the_prometheus_datasource(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in _panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
