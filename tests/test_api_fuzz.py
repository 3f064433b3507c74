# ruff: noqa: F811  (the orders fixtures are imported by name and then requested)
"""Property-based fuzzing of the whole API from its own OpenAPI schema.

Schemathesis reads /api/schema/ and sends generated requests, valid and
invalid, to every operation through the WSGI application in this process, on
pytest-django's test database, as a staff user, a customer contact and a
supplier contact. Every answer must be something other than a 5xx, and every
documented answer must match the schema (body and content type).

Bounded to fit CI: a fixed number of examples per operation and mode, no
randomness between runs (derandomize), no example database; the path ids are
drawn from seeded objects so most requests reach real rows rather than 404.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from apps.accounts.roles import Role
from apps.orders.services.changes import change_request_create
from tests.factories import UserFactory
from tests.orders.conftest import (  # noqa: F401  (fixtures used by name)
    accepted_quote,
    acme_addresses,
    catalog,
    make_quote,
    order,
    sent_quote,
)
from tests.sales import sales_helpers

pytestmark = pytest.mark.django_db

# Examples per operation and generation mode: 3 roles x ~25 operations x 2
# modes x 8, about 1,200 requests, under two minutes on a busy CI machine.
# FUZZ_MAX_EXAMPLES=100 for a long run by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(autouse=True)
def _private_cache(settings, request):
    # The fuzzer hits the throttled token endpoint: a cache of this test's own
    # keeps its counts away from other tests (and theirs from it).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-api-fuzz-{request.node.name}",
        }
    }


@contextmanager
def wsgi_app_on_the_test_database():
    # Django's test client keeps the test transaction's connection open across
    # requests the same way: a plain WSGI request would close it on
    # request_started/finished (autocommit is off inside the test transaction).
    # Entered after any test-client request: the client reconnects the handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(kestrel, acme_contact, delta_contact, delta, borealis, make_quote, order, catalog):
    """A few objects per organization, so generated requests hit real ids.

    Borealis's quote is foreign to the Acme contact (the access matrix asserts
    its 404; here it must simply not crash).
    """
    staff = UserFactory(
        username="fuzz.staff", organization=kestrel, roles=[Role.SALES_REP, Role.SALES_MANAGER]
    )
    draft = make_quote(owner=staff, lines=(("skid", 2, {"drive": "vfd"}, 5), ("cabinet", 1, {}, 0)))
    foreign = make_quote(owner=staff, customer=borealis)
    cr = change_request_create(
        actor=acme_contact, order=order, title="Add a spare seal", description="One more."
    )
    inquiry = sales_helpers.web_inquiry()
    qualified = sales_helpers.qualified(sales_helpers.web_inquiry(), staff)
    opportunity = sales_helpers.opportunity(staff, borealis)
    ids = {
        "inquiries": [str(inquiry.pk), str(qualified.pk)],
        "opportunities": [str(opportunity.pk)],
        "quotes": [str(draft.pk), str(order.quote_id), str(foreign.pk)],
        "orders": [str(order.pk)],
        "change-requests": [str(cr.pk)],
        "organizations": [
            str(kestrel.pk),
            str(borealis.pk),
            str(order.customer_id),
            str(delta.pk),
        ],
        "products": [str(catalog["skid"].pk), str(catalog["cabinet"].pk)],
        "line_id": [str(line.pk) for line in draft.lines.all()],
    }
    return {"staff": staff, "customer": acme_contact, "supplier": delta_contact, "ids": ids}


def api_token(user, password: str) -> str:
    response = Client().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def path_parameters(operation, ids: dict[str, list[str]]):
    """Real ids for the operation's path parameters (random ones are mostly 404s)."""
    names = {p.name for p in operation.path_parameters}
    collection = operation.path.removeprefix("/api/v1/").split("/")[0]
    chosen = {}
    if "id" in names and ids.get(collection):
        chosen["id"] = st.sampled_from(ids[collection])
    if "line_id" in names:
        chosen["line_id"] = st.sampled_from(ids["line_id"])
    if not chosen:
        return st.just(None)
    return st.fixed_dictionaries(chosen)


def fuzz_operation(operation, *, mode, ids, headers) -> None:
    # Half the examples on seeded ids, half with whatever the schema allows.
    strategy = st.one_of(
        operation.as_strategy(generation_mode=mode),
        path_parameters(operation, ids).flatmap(
            lambda params: (
                operation.as_strategy(generation_mode=mode, path_parameters=params)
                if params
                else operation.as_strategy(generation_mode=mode)
            )
        ),
    )

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate]
        + ([Phase.shrink] if os.environ.get("FUZZ_SHRINK") else []),
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.parametrize("role", ["staff", "customer", "supplier"])
def test_the_api_never_answers_5xx_and_always_matches_its_schema(role, fuzz_world, password):
    headers = {"Authorization": f"Token {api_token(fuzz_world[role], password)}"}
    # The schema is the same for everyone; staff may always read it.
    staff = {"Authorization": f"Token {api_token(fuzz_world['staff'], password)}"}
    with wsgi_app_on_the_test_database() as app:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", app, headers=staff)
        failures, operations = fuzz_schema(schema, fuzz_world["ids"], headers)
    assert operations >= 15, "the schema lost its operations"
    assert not failures, "\n\n".join(failures)


# Known failures owned elsewhere, tolerated only while they are the one failure
# of their operation. Empty: the quote list's stored total landed.
PENDING: dict[str, str] = {}


def pending(label: str, message: str) -> bool:
    expected = PENDING.get(label)
    only_that = "found 1 distinct failure" in message and "ST108" in message
    return expected is not None and only_that and expected in message


def fuzz_schema(schema, ids, headers) -> tuple[list[str], int]:
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        takes_input = any(
            len(part) for part in (operation.path_parameters, operation.query, operation.body)
        )
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input else [])
        for mode in modes:
            try:
                fuzz_operation(operation, mode=mode, ids=ids, headers=headers)
            except Unsatisfiable:
                # Inputs that cannot be made invalid (a free-text query): no negative cases.
                assert mode == GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:
                if not pending(operation.label, str(exc)):
                    failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures, operations
