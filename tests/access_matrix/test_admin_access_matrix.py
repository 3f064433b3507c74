"""The admin's half of the access matrix (see test_access_matrix.py); its table
goes to test-artifacts/access-matrix-admin.md."""

from __future__ import annotations

import pytest

from tests.access_matrix.harness import run_case, write_table
from tests.access_matrix.registry import ADMIN_ROUTES

RESULTS: dict[str, dict[str, str]] = {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,case",
    [pytest.param(n, c, id=f"{n}[{c.label}]") for n, cases in ADMIN_ROUTES.items() for c in cases],
)
def test_admin_access(world, name, case):
    row, problems = run_case(world, name, case)
    RESULTS[f"{case.method.upper()} {name} [{case.label}]"] = row
    assert not problems, "\n".join(problems)


def test_write_the_admin_matrix_table(capsys):
    table = write_table("access-matrix-admin.md", "Access matrix: admin", RESULTS)
    with capsys.disabled():
        print("\n" + table)
