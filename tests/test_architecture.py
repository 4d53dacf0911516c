"""The architecture contracts in pyproject.toml ([tool.importlinter]) hold: imports point
down the layers, the domain stays pure, transports stay apart, and no package has a cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_package_says_what_lives_there_and_what_it_may_import() -> None:
    for package in ("domain", "infra", "read", "services"):
        doc = (ROOT / "app" / package / "__init__.py").read_text().split('"""')[1]
        assert "import" in doc, package
