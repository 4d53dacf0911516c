"""Every process we start (web, worker, gRPC, each CLI command) imports the app first, so
what that import loads is paid again and again. The libraries only one path needs load on
that path: pysaml2 (its XML schemas, ~1 s) on a SAML sign-in, cairosvg (cairo, ~0.3 s) on
a PNG drawing, pywebpush (aiohttp, ~0.1 s) on a push, argon2's dummy hash on a miss."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.services import ROOT, service_env

LAZY = ("saml2", "xmlschema", "cairosvg", "cairocffi", "pywebpush", "aiohttp")


def test_building_the_app_loads_none_of_the_one_path_libraries(tmp_path) -> None:
    script = ("import json, sys, wsgi; "
              f"print(json.dumps(sorted(m for m in {LAZY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env=service_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}))
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_worker_loads_its_hot_task_bodies_as_it_starts_and_the_app_does_not(tmp_path) -> None:
    """Detection and the relay are imported at worker start (``worker_init``), not by the
    first task of a burst; building the app (web, gRPC) leaves them unloaded."""
    script = ("import json, sys, wsgi; from celery.signals import worker_init; "
              "from workers.tasks import WARM_AT_WORKER_START as hot; "
              "before = [m for m in hot if m in sys.modules]; "
              "worker_init.send(sender=None); "
              "print(json.dumps([before, [m for m in hot if m in sys.modules]]))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env=service_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}))
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == []
    assert after == ["app.services.awarding.detection", "app.services.delivery.relay"]
