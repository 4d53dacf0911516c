"""ADL's LRS conformance suite (xAPI 1.0.3), unmodified, against the service over real HTTP.

The suite (Node) is copied from ``../shared/vendor/adl-lrs-conformance-test-suite`` (or
``ACHIEVEMENTS_XAPI_SUITE``) into a cache folder outside the repository and ``npm
install``-ed there once. It runs once per test session (a module fixture: one gunicorn
server, one suite run, ~1 minute), only the statement sections (``-g``); the tests
below read its JSON log. Every test in those sections must pass but the ones named in
``tests/web/xapi_conformance_scope.py``, each with its reason; that file also names every
section not run. A change that lets an invalid statement in fails here.

SQLite by default; a fresh PostgreSQL database under CI=true.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import IN_CI, ROOT, fresh_database, migrate, require
from tests.support.web_server import WebServer
from tests.web.xapi_conformance_scope import SECTIONS_OUT, SECTIONS_RUN, TESTS_OUT

VENDORED = Path(os.environ.get("ACHIEVEMENTS_XAPI_SUITE",
                               ROOT.parent / "shared/vendor/adl-lrs-conformance-test-suite"))
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "achievements"
TOP_LEVEL = re.compile(r"^\t?describe\('((?:[^'\\]|\\.)*)'", re.MULTILINE)
RUN_TIMEOUT = 900  # seconds; the run takes about one minute on 2 cores


def suite_copy() -> Path:
    """The suite copied to the cache with its npm dependencies (copied and installed once)."""
    require(VENDORED.is_dir(), f"the ADL conformance suite at {VENDORED}")
    require(shutil.which("node") is not None and shutil.which("npm") is not None, "node, npm")
    target = CACHE / "adl-lrs-conformance-test-suite"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "adl-lrs-conformance-test-suite.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions on one machine copy it once
        if not (target / "node_modules" / "mocha").is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(VENDORED, target,
                            ignore=shutil.ignore_patterns("node_modules", "logs"))
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"],
                           cwd=target, check=True, timeout=600, capture_output=True)
    return target


def leaves(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, dict]]:
    """``(full name, test)`` of every test in the log: titles joined by `` > ``."""
    here = (*path, node["title"]) if node.get("title") else path
    children = node.get("tests") or []
    if not children and path:
        yield " > ".join(here), node
    for child in children:
        yield from leaves(child, here)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """Run the statement sections once against a fresh server; every test by full name."""
    suite = suite_copy()
    with ExitStack() as stack:
        if IN_CI:
            url = stack.enter_context(fresh_database())
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('xapi-conformance') / 'lrs.db'}"
            migrate(url)
        server = WebServer({"DATABASE_URL": url}, name="xapi-conformance").start()
        stack.callback(server.stop)
        yield _run(suite, server)


def _run(suite: Path, server: WebServer) -> dict[str, dict[str, Any]]:
    pattern = "^(" + "|".join(re.escape(title) for title in SECTIONS_RUN) + ")"
    done = subprocess.run(
        ["node", "bin/console_runner.js", "-e", f"{server.url}/xapi", "-a", "-u", "conformance",
         "-p", server.token, "-x", "1.0.3", "-g", pattern],
        cwd=suite, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    written = re.search(r"Full run log written to (\S+)", done.stdout)
    assert written, f"the suite wrote no log:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    log = json.loads(Path(written.group(1)).read_text())
    return dict(leaves(log["log"]))


def test_every_statement_test_passes_but_those_named_out_of_scope(results: dict) -> None:
    failed = {name: str(test.get("error"))[:500] for name, test in results.items()
              if test["status"] != "passed" and name not in TESTS_OUT}
    assert len(results) > 1000, f"only {len(results)} tests ran"
    assert not failed, "\n\n".join(f"{name}\n  {error}" for name, error in failed.items())


def test_tests_named_out_of_scope_exist_and_still_fail(results: dict) -> None:
    """The list cannot rot: a renamed test or one that passes now must leave it."""
    missing = [name for name in TESTS_OUT if name not in results]
    passing = [name for name in TESTS_OUT if name in results
               and results[name]["status"] == "passed"]
    assert not missing, f"not in the suite's run: {missing}"
    assert not passing, f"these pass now; take them off the list: {passing}"


def test_every_section_is_run_or_named_out_of_scope() -> None:
    """Nothing is left out silently: each top-level section of the suite is one or the other."""
    suite = suite_copy()
    found = {match.replace("\\'", "'") for path in (suite / "test/v1_0_3").glob("*.js")
             for match in TOP_LEVEL.findall(path.read_text())}
    assert found == set(SECTIONS_RUN) | set(SECTIONS_OUT), (
        f"unlisted: {found - set(SECTIONS_RUN) - set(SECTIONS_OUT)}; "
        f"gone: {(set(SECTIONS_RUN) | set(SECTIONS_OUT)) - found}")
    assert not set(SECTIONS_RUN) & set(SECTIONS_OUT)
