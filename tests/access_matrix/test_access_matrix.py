"""Every route, every audience: the status each gets and what it must never see.

registry.py lists the routes (and says how to add one), world.py builds the
dataset. The admin's routes run in test_admin_access_matrix.py, so the two
halves run in parallel under `--dist loadfile`. The table is printed by the
last test and written to test-artifacts/access-matrix.md.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from tests.access_matrix import registry
from tests.access_matrix.harness import (
    SEEN_BY_STAFF,
    mail_leaks,
    run_case,
    url_names,
    write_table,
)
from tests.access_matrix.registry import ADMIN_ROUTES, ROUTES
from tests.access_matrix.world import CANARY_GROUPS

RESULTS: dict[str, dict[str, str]] = {}


def test_every_route_is_in_the_matrix():
    names = url_names()
    known = {**ROUTES, **ADMIN_ROUTES}
    missing = [
        f"add {n} ({route}) to the access matrix" for n, route in names.items() if n not in known
    ]
    stale = [f"remove {n} from the access matrix: no such route" for n in known if n not in names]
    assert not missing + stale, "\n".join(missing + stale)


def test_the_registry_names_each_route_once():
    """A dict literal keeps the last of two equal keys: two streams adding the same
    route would silently drop one's cases. Merge them into one entry instead."""
    tree = ast.parse(Path(registry.__file__).read_text())
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict)
    ]
    twice = [
        name
        for literal in literals
        for name, count in Counter(
            k.value for k in literal.keys if isinstance(k, ast.Constant)
        ).items()
        if count > 1
    ]
    assert not twice, f"named twice in registry.py: {twice}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,case",
    [pytest.param(n, c, id=f"{n}[{c.label}]") for n, cases in ROUTES.items() for c in cases],
)
def test_access(world, name, case):
    row, problems = run_case(world, name, case)
    RESULTS[f"{case.method.upper()} {name} [{case.label}]"] = row
    assert not problems, "\n".join(problems)


def test_the_datasets_own_emails_leak_nothing(world):
    assert world.setup_mail, "the dataset's workflow sends e-mails to customers"
    assert not mail_leaks(world, world.setup_mail)


def test_every_canary_reaches_staff_somewhere():
    """A canary that no staff page or API answer shows is planted where nobody looks."""
    unseen = [
        group
        for group, spellings in CANARY_GROUPS.items()
        if not SEEN_BY_STAFF.intersection(spellings)
    ]
    assert not unseen, f"never shown to staff: {unseen}"


def test_write_the_matrix_table(capsys):
    table = write_table("access-matrix.md", "Access matrix: pages and API", RESULTS)
    with capsys.disabled():
        print("\n" + table)
