"""User.name_from (a list row's requester from values) is str() of the same user."""

from __future__ import annotations

import pytest

from apps.accounts.models import User


@pytest.mark.parametrize(
    ("username", "first_name", "last_name"),
    [
        ("dana", "Dana", "Field"),
        ("dana", "Dana", ""),
        ("dana", "", "Field"),
        ("dana", "", ""),
        ("dana", "  ", " "),
    ],
)
def test_name_from_values_is_str_of_the_user(username, first_name, last_name):
    user = User(username=username, first_name=first_name, last_name=last_name)
    assert User.name_from(username, first_name, last_name) == str(user)
