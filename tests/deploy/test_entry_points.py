"""Every command docker-compose.yml and the README name must exist in this tree."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
COMMANDS = {name: svc["command"] for name, svc in COMPOSE["services"].items() if "command" in svc}


def test_compose_has_every_service_of_the_design() -> None:
    expected = {"postgres", "redis", "migrate", "web", "worker", "beat", "grpc"}
    assert expected <= set(COMPOSE["services"])


@pytest.mark.parametrize("service", sorted(COMMANDS))
def test_compose_command_exists(service: str) -> None:
    command = COMMANDS[service]
    assert shutil.which(command[0], path=str(Path(ROOT / ".venv" / "bin"))) or shutil.which(
        command[0]), f"{command[0]} is not installed"
    check_entry_point(command)


def check_entry_point(command: list[str]) -> None:
    program = command[0]
    if program == "gunicorn":
        module, attr = command[-1].split(":")
        assert hasattr(importlib.import_module(module), attr)
        assert importlib.util.find_spec("gevent") is not None
    elif program == "celery":
        from celery import Celery

        target = command[command.index("-A") + 1]
        assert isinstance(importlib.import_module(target).app, Celery)
    elif program == "python":
        assert importlib.util.find_spec(command[command.index("-m") + 1] + ".__main__")
    elif program == "flask":
        assert_flask_command(command[command.index("--app") + 2:])
    else:
        pytest.fail(f"unknown entry point {program}")


def assert_flask_command(words: list[str]) -> None:
    from click import Context, Group

    from wsgi import app

    command: object = app.cli
    for word in words:
        if not isinstance(command, Group) or word.startswith("-"):
            break
        found = command.get_command(Context(command), word)
        assert found is not None, f"flask command {' '.join(words)} missing at {word!r}"
        command = found


def test_readme_commands_name_existing_flask_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in re.findall(r"flask --app wsgi ([a-z-]+(?: [a-z-]+)?)", readme):
        assert_flask_command(line.split())
