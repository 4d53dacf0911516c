"""The main navigation offers the console to instructors and admins, never to learners."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("who", "shown"), [("ann", False), ("ida", True), ("ada", True)])
def test_the_console_link_follows_the_role(client_for, who: str, shown: bool) -> None:
    page = client_for(who).get("/").get_data(as_text=True)
    assert ('href="/console/"' in page) is shown
