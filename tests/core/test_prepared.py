"""values() queries compiled once per shape (apps/core/prepared.py): the rows are always
read fresh and equal the queryset's own; only the SQL is kept, per (builder, key,
number of slots, database)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models.functions import Upper
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Organization, User
from apps.core import prepared
from apps.core.prepared import prepared_objects, prepared_rows, prepared_values
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

BUILT: list = []


def _orgs(prefix: str, ids: list):
    BUILT.append(ids)
    return (
        Organization.objects.filter(pk__in=ids, name__startswith=prefix)
        .order_by("name")
        .values("pk", "name", "kind")
    )


def _orgs_by_upper_name(prefix: str, names: list):
    # The slots never appear as parameters as given (they are upper-cased first).
    BUILT.append(names)
    return (
        Organization.objects.annotate(upper=Upper("name"))
        .filter(upper__in=[name.upper() for name in names])
        .order_by("name")
        .values("name")
    )


@pytest.fixture(autouse=True)
def _fresh():
    prepared.clear()
    BUILT.clear()
    yield
    prepared.clear()


@pytest.fixture
def orgs():
    return [OrganizationFactory(name=f"Prep {i}") for i in range(4)]


def test_rows_are_the_querysets_and_the_sql_is_compiled_once_per_shape(orgs):
    first = [orgs[0].pk, orgs[2].pk]
    assert prepared_values(_orgs, ("Prep",), first) == list(_orgs("Prep", first))
    second = [orgs[3].pk, orgs[1].pk]
    BUILT.clear()
    with CaptureQueriesContext(connection) as ctx:
        rows = prepared_values(_orgs, ("Prep",), second)
    assert BUILT == []  # the same shape: not built again
    assert len(ctx.captured_queries) == 1
    assert rows == list(_orgs("Prep", second))
    assert [row["name"] for row in rows] == ["Prep 1", "Prep 3"]


def test_a_change_shows_on_the_next_call(orgs):
    ids = [orgs[0].pk, orgs[1].pk]
    prepared_values(_orgs, ("Prep",), ids)
    Organization.objects.filter(pk=orgs[0].pk).update(name="Prep 9")
    assert [row["name"] for row in prepared_values(_orgs, ("Prep",), ids)] == ["Prep 1", "Prep 9"]


def test_the_key_and_the_number_of_slots_are_the_shape(orgs):
    prepared_values(_orgs, ("Prep",), [orgs[0].pk])
    prepared_values(_orgs, ("Prep",), [orgs[0].pk, orgs[1].pk])  # another count
    assert prepared_values(_orgs, ("Nope",), [orgs[0].pk]) == []  # another key
    assert len(BUILT) == 3
    # Repeated slots are one value of an IN list.
    rows = prepared_values(_orgs, ("Prep",), [orgs[2].pk, orgs[2].pk])
    assert [row["name"] for row in rows] == ["Prep 2"] and len(BUILT) == 3


def test_slots_not_found_in_the_parameters_run_the_queryset_every_time(orgs):
    for names in (["prep 0", "prep 1"], ["prep 2", "prep 3"]):
        rows = prepared_values(_orgs_by_upper_name, ("",), names)
        assert [row["name"] for row in rows] == [name.title() for name in names]
    assert len(BUILT) == 2


def test_no_slots_no_query():
    with CaptureQueriesContext(connection) as ctx:
        assert prepared_values(_orgs, ("Prep",), []) == []
        assert prepared_values(_orgs, ("Prep",), []) == []
    assert ctx.captured_queries == []


def test_only_values_querysets():
    with pytest.raises(TypeError):
        prepared_values(lambda ids: Organization.objects.filter(pk__in=ids), (), [uuid.uuid4()])


# --- prepared_objects: model instances ------------------------------------------------


def _members(ids: list):
    BUILT.append(ids)
    return (
        User.objects.select_related("membership__organization")
        .defer("last_login")
        .annotate(shout=Upper("username"))
        .filter(pk__in=ids)
        .order_by("username")
    )


def test_objects_are_the_querysets_with_joins_deferred_columns_and_annotations(orgs):
    users = [UserFactory(username=f"prep{i}", organization=orgs[i]) for i in range(3)]
    ids = [users[2].pk, users[0].pk]
    expected = list(_members(ids))
    prepared_objects(_members, (), ids)
    BUILT.clear()
    with CaptureQueriesContext(connection) as ctx:
        found = prepared_objects(_members, (), [users[1].pk, users[0].pk])
        assert [(u.pk, u.shout, u.membership.organization.name) for u in found] == [
            (users[0].pk, "PREP0", "Prep 0"),
            (users[1].pk, "PREP1", "Prep 1"),
        ]
    assert BUILT == [] and len(ctx.captured_queries) == 1  # joined, compiled once
    assert "last_login" in found[0].get_deferred_fields()
    first = prepared_objects(_members, (), ids)
    assert [(u.pk, u.username, u.shout) for u in first] == [
        (u.pk, u.username, u.shout) for u in expected
    ]
    assert all(u._state.db == "default" and not u._state.adding for u in first)


def test_objects_a_change_shows_on_the_next_call(orgs):
    user = UserFactory(username="prepx", organization=orgs[0])
    prepared_objects(_members, (), [user.pk])
    Organization.objects.filter(pk=orgs[0].pk).update(name="Renamed")
    User.objects.filter(pk=user.pk).update(first_name="Changed")
    (again,) = prepared_objects(_members, (), [user.pk])
    assert again.first_name == "Changed" and again.membership.organization.name == "Renamed"


def test_objects_only_plain_model_querysets():
    with pytest.raises(TypeError):
        prepared_objects(lambda ids: User.objects.filter(pk__in=ids).values("pk"), (), [1])
    with pytest.raises(TypeError):
        prepared_objects(
            lambda ids: User.objects.filter(pk__in=ids).prefetch_related("groups"), (), [1]
        )


# --- statements prepared on the server (run_prepared) ---------------------------------


def _server_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_compiled_sql_runs_as_a_statement_prepared_on_the_server(orgs):
    ids = [orgs[0].pk, orgs[1].pk]
    with CaptureQueriesContext(connection) as ctx:
        first = prepared_values(_orgs, ("Prep",), ids)
        again = prepared_values(_orgs, ("Prep",), [orgs[2].pk, orgs[3].pk])
    # Django's wrappers still see each run (query counts, the bench's X-Queries), and
    # log its SQL with its values, as for a query bound on the client.
    assert len(ctx.captured_queries) == 2
    logged = ctx.captured_queries[1]["sql"]
    assert f"IN ('{orgs[2].pk.hex}'::uuid, '{orgs[3].pk.hex}'::uuid)" in logged
    assert connection.features.uses_server_side_binding is False
    assert [row["name"] for row in first] == ["Prep 0", "Prep 1"]
    assert [row["name"] for row in again] == ["Prep 2", "Prep 3"]
    (statement,) = [
        s
        for s in _server_statements()
        if '"accounts_organization"."id" IN' in s and '"accounts_organization"."name"' in s
    ]
    # Bound on the server: the values are parameters of the one prepared statement.
    assert '"accounts_organization"."name"::text LIKE $1' in statement
    assert '"accounts_organization"."id" IN ($2, $3)' in statement


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_every_other_query_is_planned_for_its_values(orgs):
    # Django binds on the client: a queryset's SQL is sent with its values, never
    # prepared, and the connection's threshold is left as Django set it (none).
    list(Organization.objects.filter(name="Prep 0").values_list("pk"))
    list(Organization.objects.filter(name="Prep 0").values_list("pk"))
    prepared_values(_orgs, ("Prep",), [orgs[0].pk])
    list(Organization.objects.filter(name="Prep 1").values_list("pk"))
    assert connection.connection.prepare_threshold is None
    assert not [s for s in _server_statements() if "Prep" in s]
    assert not [s for s in _server_statements() if '"accounts_organization"."name" = ' in s]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_with_prepared_statements_off_nothing_is_prepared(orgs, settings):
    settings.PREPARED_STATEMENTS = False
    rows = prepared_values(_orgs, ("Prep",), [orgs[0].pk])
    assert [row["name"] for row in rows] == ["Prep 0"]
    assert not [s for s in _server_statements() if '"accounts_organization"."id" IN' in s]


def test_a_users_roles_read_fresh_through_their_prepared_statement():
    user = UserFactory()
    assert User.objects.get(pk=user.pk).role_names == frozenset()
    user.groups.add(Group.objects.create(name="prepared-role"))
    assert User.objects.get(pk=user.pk).role_names == frozenset({"prepared-role"})
    if connection.vendor == "postgresql":
        assert [s for s in _server_statements() if '"auth_group"."name"' in s]


def test_rows_are_the_values_without_the_dicts(orgs):
    ids = [orgs[1].pk, orgs[0].pk]
    expected = [tuple(row.values()) for row in _orgs("Prep", ids)]
    assert [tuple(row) for row in prepared_rows(_orgs, ("Prep",), ids)] == expected
    # The same shape as prepared_values: compiled once for both.
    assert prepared_values(_orgs, ("Prep",), ids) == list(_orgs("Prep", ids))
    assert [tuple(row) for row in prepared_rows(_orgs, ("Prep",), [orgs[3].pk])] == [
        (orgs[3].pk, "Prep 3", orgs[3].kind)
    ]
