"""Every benchmark runs with one command and prints one JSON document with its baseline.

Tiny sizes: this proves the scripts still work against the code as it is (the
figures themselves come from full runs, bench/README.md), on the real
PostgreSQL, Redis, Celery worker, gunicorn and grpc processes they start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import ROOT, pg_available, redis_settings, require

pytestmark = pytest.mark.integration

SMALL = {
    "e2e_latency.py": ["--events", "30", "--rate", "30", "--learners", "3", "--history", "20"],
    "throughput.py": ["--events", "200", "--learners", "100", "--history", "20"],
    "badges_overhead.py": ["--badges", "20", "--rounds", "1", "--events", "200",
                           "--learners", "50"],
    "history.py": ["--awards", "3000", "--heavy", "2", "--heavy-awards", "500",
                   "--requests", "20"],
    "grpc_qps.py": ["--duration", "0.5", "--warmup", "0.2", "--learners", "3",
                    "--concurrency", "4", "--channels", "2", "--processes", "1"],
    "backfill.py": ["--rows", "3000", "--learners", "100", "--batch-size", "25", "--jobs", "2"],
    "sse_fanout.py": ["--connections", "40", "--flask-sse-connections", "40", "--probes", "3",
                      "--awards", "6", "--per-fleet", "20", "--time-limit", "150",
                      "--settle", "0.5"],
    "xapi_ingest.py": ["--events", "200", "--courses", "2"],
    "metrics_overhead.py": ["--rounds", "1", "--events", "200", "--learners", "50"],
    "openbadges.py": ["--learners", "50", "--requests", "20"],
    "hand_awards.py": ["--learners", "600", "--rounds", "1"],
    "learner_history.py": ["--sizes", "0,300", "--reads", "3"],
    "recording.py": ["--events", "60", "--rounds", "2", "--batch", "20", "--learners", "20",
                     "--courses", "2"],
    "ab_commits.py": ["HEAD", "HEAD", "--rounds", "1", "--benches", "recording",
                      "--recording-args=--events 30 --rounds 1 --learners 10 --courses 2"],
    "notifications.py": ["--events", "200", "--learners", "40", "--rate", "30", "--seconds", "2",
                         "--rounds", "1", "--relay-worker", "--relay-nice", "5"],
}
# Scripts that write scratch trees take a folder of the test's own; PROFILED ones also
# run their --profile mode into it: where the document puts the profile, and a process
# it must name (test_profile_mode… covers throughput.py's sustained mode).
WORKDIR = {"ab_commits.py"}
PROFILED = {"xapi_ingest.py": ("baseline", "web"), "e2e_latency.py": ("measured", "worker")}


@pytest.fixture(scope="module", autouse=True)
def services_up() -> None:
    error = pg_available()
    require(error is None, f"PostgreSQL: {error}")
    redis_settings()  # requires Redis


@pytest.mark.parametrize("script", sorted(SMALL))
def test_benchmark_prints_measured_baseline_and_ratio(script: str, tmp_path: Path) -> None:
    argv = [*SMALL[script], *(["--workdir", str(tmp_path)] if script in WORKDIR else []),
            *(["--profile", str(tmp_path)] if script in PROFILED else [])]
    stale = _stale_worktree(tmp_path) if script == "ab_commits.py" else None
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(done.stdout)
    assert document["benchmark"]
    assert {"measured", "baseline", "ratio", "targets", "machine"} <= set(document)
    assert document["measured"] and document["baseline"]
    assert any(value is not None for value in _leaves(document["ratio"]))
    CHECKS.get(script, lambda _: None)(document)
    if stale is not None:
        assert (stale / "bench" / "ab_commits.py").exists()
    if script in PROFILED:
        part, process = PROFILED[script]
        _flame_graphs(document[part]["profile"], tmp_path, process)


def _stale_worktree(workdir: Path) -> Path:
    """CI keeps its scratch folders between clones: ab_commits.py must start afresh a
    worktree whose .git points at a clone that is gone (git would exit 128), not check
    it out. HEAD's folder, as such a leftover."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = workdir / head[:12]
    stale.mkdir()
    (stale / ".git").write_text("gitdir: /nowhere/.git/worktrees/gone\n")
    return stale


def _bare_flask_peer(document: dict[str, Any]) -> None:
    """xapi_ingest.py's REST phase has a peer in the same run: Flask under the same
    gunicorn committing one row per request (rest_bare.py), every request stored."""
    assert document["peer"]["stored"] == document["baseline"]["events"]
    assert document["ratio"]["rest_vs_bare"] > 0 and document["ratio"]["bare_vs_inserts"] > 0


def _bare_stack_peer(document: dict[str, Any]) -> None:
    """e2e_latency.py's stack peer (rest_bare.py's /bare-task, celery_noop.py's bare_award)
    delivered every event it sent."""
    peer = document["measured"]["peer_bare_stack"]
    assert peer["count"] == peer["sent"] == document["params"]["events"]
    assert peer["p50_vs_floor"] > 0


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {"xapi_ingest.py": _bare_flask_peer,
                                                        "e2e_latency.py": _bare_stack_peer}


def test_profile_mode_writes_flame_graphs_and_a_stage_table(tmp_path: Path) -> None:
    """``--profile DIR`` of sustained evaluation: py-spy on the real processes, one SVG
    each and a per-stage table (the PROFILED scripts' are checked by their runs above)."""
    args = ["--mode", "sustained", "--events", "200", "--learners", "20", "--history", "20"]
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "throughput.py"), *args,
                           "--profile", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    _flame_graphs(json.loads(done.stdout)["measured"]["profile"], tmp_path, "worker")


def _flame_graphs(profile: dict[str, Any], folder: Path, process: str) -> None:
    assert any(name.startswith(process) for name in profile["processes"])
    for name, table in profile["processes"].items():
        assert (folder / f"{name}.svg").read_text().startswith("<svg")
        assert table["samples"] > 0 and table["stages"]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]
