"""Console fixtures: courses c1 and c2, a learner of each, their instructors, an admin,
a c1 badge and one c1 award for the learner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.models import User
from app.services.accounts import enroll
from app.services.accounts.principal import Principal
from app.services.badges import create_badge
from tests.support.catalog import build_catalog
from tests.web.conftest import award, login

ADMIN = Principal(kind="admin", id=0, name="setup")
C1_BADGE = {"key": "c1b", "title": "C1 badge",
            "criteria": {"all": [{"module_complete": "c1-u1-m1"}]}}


@pytest.fixture
def world(app: Any, make_user: Callable[..., User]) -> dict[str, Any]:
    build_catalog("c1", units=1, modules=2)
    build_catalog("c2", units=1, modules=1)
    roles = {"ann": "learner", "ida": "instructor", "oscar": "instructor", "ada": "admin"}
    people = {name: make_user(role, email=f"{name}@example.com") for name, role in roles.items()}
    enroll(people["ann"].id, "c1", "learner")
    enroll(people["ida"].id, "c1", "instructor")
    enroll(people["oscar"].id, "c2", "instructor")
    create_badge(ADMIN, C1_BADGE)
    earned = award(people["ann"], "c1-u1-m1")
    return {**people, "award": earned.id, "ann_id": people["ann"].id}


@pytest.fixture
def client_for(app: Any, world: dict[str, Any]) -> Callable[[str | None], FlaskClient]:
    def make(name: str | None) -> FlaskClient:
        client = app.test_client()
        return login(client, world[name]) if name else client
    return make
