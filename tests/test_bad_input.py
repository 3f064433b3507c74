"""Bad input answers 400 with a field error (or a form error on pages), never 500.

One test per crash found when the API was attacked with out-of-range numbers,
Unicode digits, deeply nested JSON and megabyte texts, and one for the SQLite
demo's "database is locked" under two simultaneous writers.
"""

# ruff: noqa: F811  (the orders fixtures are imported by name and then requested)
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from apps.orders.models import ChangeRequest, QuoteLine
from tests.catalog.factories import PartFactory, ProductFactory
from tests.orders.conftest import (  # noqa: F401  (fixtures used by name)
    accepted_quote,
    acme_addresses,
    catalog,
    make_quote,
    order,
    sent_quote,
)

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def api():
    def _client(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _client


def lines_url(quote) -> str:
    return f"/api/v1/quotes/{quote.pk}/lines/"


def assert_field_error(response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert field in response.json(), response.json()


# -- numbers the database cannot hold ------------------------------------------


@pytest.mark.parametrize("quantity", [10**10, 3_000_000_000, 1_000_001])
def test_a_quantity_beyond_the_column_is_a_field_error(
    api, make_quote, catalog, sales_rep, quantity
):
    quote = make_quote()
    response = api(sales_rep).post(
        lines_url(quote), {"product": str(catalog["skid"].pk), "quantity": quantity}, format="json"
    )
    assert_field_error(response, "quantity")
    assert quote.lines.count() == 1


def test_a_line_total_beyond_the_money_column_is_a_field_error(api, make_quote, sales_rep):
    quote = make_quote()
    # 900 million a unit is a legal price; 5,000 of them are not a legal line total.
    dear = ProductFactory(sku="DEAR", base_price=Decimal("900000000"), base_cost=Decimal("1"))
    response = api(sales_rep).post(
        lines_url(quote), {"product": str(dear.pk), "quantity": 5000}, format="json"
    )
    assert_field_error(response, "quantity")
    assert not QuoteLine.objects.filter(product=dear).exists()


def test_a_quote_total_beyond_the_money_column_is_a_field_error(api, make_quote, sales_rep):
    quote = make_quote()
    dear = ProductFactory(sku="DEAR", base_price=Decimal("900000000"), base_cost=Decimal("1"))
    client = api(sales_rep)
    body = {"product": str(dear.pk), "quantity": 1000}
    assert client.post(lines_url(quote), body, format="json").status_code == 201
    response = client.post(lines_url(quote), body, format="json")
    assert_field_error(response, "quantity")
    assert quote.lines.count() == 2


def test_a_margin_that_cannot_be_represented_is_an_error_not_an_overflow(
    api, make_quote, sales_rep
):
    quote = make_quote()
    # 99.99 % off 10,000 is 1.00 a unit against a cost of 9,000: a margin of
    # −899,900 %, which the margin column (7 digits) cannot hold.
    product = ProductFactory(sku="LOSS", base_price=Decimal("10000"), base_cost=Decimal("9000"))
    response = api(sales_rep).post(
        lines_url(quote),
        {"product": str(product.pk), "quantity": 1, "discount_percent": "99.99"},
        format="json",
    )
    assert_field_error(response, "discount_percent")
    assert not QuoteLine.objects.filter(product=product).exists()


def test_money_and_version_inputs_beyond_their_columns_are_field_errors(
    api, sent_quote, sales_rep, acme_contact
):
    from apps.orders.services.changes import change_request_create

    cr = change_request_create(
        actor=acme_contact, quote=sent_quote, order=None, title="More", description="Please"
    )
    client = api(sales_rep)
    url = f"/api/v1/change-requests/{cr.pk}/"
    assert_field_error(client.patch(url, {"price_delta": "1e13"}, format="json"), "price_delta")
    assert_field_error(client.patch(url, {"version": 10**12}, format="json"), "version")
    response = client.post(
        f"{url}transitions/start_assessment/", {"version": 10**12}, format="json"
    )
    assert_field_error(response, "version")


# -- Unicode digits ----------------------------------------------------------------


@pytest.mark.parametrize("digits", ["²", "٣", "¹²"])
def test_unicode_digits_in_a_configuration_quantity_are_a_field_error(
    api, catalog, acme_contact, digits
):
    assert digits.isdigit()
    response = api(acme_contact).post(
        f"/api/v1/products/{catalog['skid'].pk}/validate-configuration/",
        {"configuration": {}, "quantity": digits},
        format="json",
    )
    assert_field_error(response, "quantity")


@pytest.mark.parametrize("digits", ["²", "¹²", "9" * 30])
def test_unicode_digits_as_the_version_of_a_line_delete_are_a_field_error(
    api, make_quote, sales_rep, digits
):
    quote = make_quote()
    line = quote.lines.get()
    response = api(sales_rep).delete(f"{lines_url(quote)}{line.pk}/?version={digits}")
    assert_field_error(response, "version")
    assert quote.lines.count() == 1


def test_arabic_indic_digits_are_read_as_the_number_they_are(api, make_quote, sales_rep):
    # int("٣") is 3 (DRF's IntegerField agrees): an old version, so a 409.
    quote = make_quote()
    line = quote.lines.get()
    response = api(sales_rep).delete(f"{lines_url(quote)}{line.pk}/?version=٣")
    assert response.status_code == 409
    assert quote.lines.count() == 1


def test_unicode_digits_in_an_import_are_a_row_error_not_a_crash():
    from apps.catalog.resources import WholeNumberWidget

    with pytest.raises(ValueError, match="is not a whole number"):
        WholeNumberWidget(label="lead time").clean("²")


def test_numbers_beyond_their_columns_in_a_catalog_import_are_row_errors(delta):
    from apps.catalog.models import Part
    from apps.catalog.resources import PartResource, SupplierPriceResource
    from tests.catalog.test_import import SUPPLIER_HEADER, run_import

    _, errors = run_import(PartResource, "number,name,kind,uom,unit_cost\nBIG-1,Big,buy,ea,1e15\n")
    assert errors == [
        "Row 1 (line 2): unit_cost: Ensure that there are no more than 14 digits in total."
    ]
    assert not Part.objects.filter(number="BIG-1").exists()
    PartFactory(number="MTR-5")
    _, errors = run_import(
        SupplierPriceResource,
        SUPPLIER_HEADER + f"{delta.code},MTR-5,D-1,99999999999,1,false,10,\n",
    )
    assert errors == [
        "Row 1 (line 2): lead_time_days: Ensure this value is less than or equal to 2147483647."
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/quotes/?page=²",
        "/api/v1/quotes/?page_size=²",
        "/api/v1/quotes/?created_after=²",
        "/api/v1/quotes/?customer=²",
        "/api/v1/quotes/?ordering=²",
        "/api/v1/orders/?ordering=-²,total",
        "/api/v1/organizations/?page=٣",
        "/api/v1/change-requests/?order=²",
        "/api/v1/products/?ordering=base_cost",
        "/api/v1/quotes/?q=%00&owner=%00&state=%00",
        "/api/v1/organizations/?q=%00&kind=%00&is_active=%00",
    ],
)
def test_list_parameters_with_unicode_digits_never_crash(api, sales_rep, path):
    assert api(sales_rep).get(path).status_code in (200, 400, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/sales/quotes/?page=²&ordering=²&customer=²",
        "/sales/orders/?page=٣&ordering=-²&state=²",
        "/sales/customers/?page=²&ordering=²&is_active=²",
        "/notifications/?page=²&filter=²",
        "/sales/quotes/?q=%00&customer=not-a-uuid&state=bogus&ordering=-amount,-amount",
        "/sales/orders/?q=%00&customer=%00&ordering=next_forecast,,-total",
        "/sales/customers/?q=%00&has_contacts=%00&page=-1",
        "/purchasing/suppliers/?q=%00&ordering=%00&page=99999999999999999999",
        "/manufacturing/replan/?run=²&page=٣",
        "/manufacturing/replan/?run=99999999999999999999999&page=%00",
        "/manufacturing/replan/?run=-1&page=-1",
    ],
)
def test_page_parameters_with_unicode_digits_never_crash(client, sales_rep, buyer, planner, path):
    who = {"/purchasing/": buyer, "/manufacturing/": planner}
    client.force_login(next((u for p, u in who.items() if path.startswith(p)), sales_rep))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/portal/quotes/?state=²&page=²",
        "/portal/orders/?state=%00&page=٣",
        "/supplier/?page=%00",
    ],
)
def test_portal_parameters_with_bad_values_never_crash(client, acme_contact, delta_contact, path):
    client.force_login(delta_contact if path.startswith("/supplier/") else acme_contact)
    assert client.get(path).status_code == 200


def test_an_expedite_reason_beyond_its_bound_is_a_field_error(api, order, planner):
    response = api(planner).post(f"/api/v1/orders/{order.pk}/expedite/", {"reason": "x" * 301})
    assert response.status_code == 400
    assert "reason" in response.json()
    order.refresh_from_db()
    assert order.expedited_at is None


def test_unicode_digit_notification_ids_mark_nothing(client, sales_rep):
    client.force_login(sales_rep)
    response = client.post("/notifications/read/", {"id": ["²", "٣", str(10**30)]})
    assert response.status_code == 302


# -- deeply nested JSON --------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [100_000, 40])
def test_deeply_nested_json_is_a_400_for_anonymous_callers(api, depth):
    response = api().generic(
        "POST", "/api/v1/auth/token/", nested(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_deeply_nested_json_is_a_400_on_every_write(api, make_quote, sales_rep):
    quote = make_quote()
    client = api(sales_rep)
    body = b'{"configuration": {"drive": ' + nested(100_000) + b"}}"
    for method, path in [
        ("POST", lines_url(quote)),
        ("PATCH", f"/api/v1/quotes/{quote.pk}/"),
        ("POST", f"/api/v1/quotes/{quote.pk}/transitions/submit/"),
        ("POST", "/api/v1/change-requests/"),
    ]:
        response = client.generic(method, path, body, content_type="application/json")
        assert response.status_code == 400, (method, path, response.status_code)


def test_json_nested_a_few_levels_is_still_accepted(api, catalog, acme_contact):
    response = api(acme_contact).post(
        f"/api/v1/products/{catalog['skid'].pk}/validate-configuration/",
        {"configuration": {"drive": ["vfd"]}, "quantity": 2},
        format="json",
    )
    assert response.status_code == 200, response.json()


# -- texts without a bound ---------------------------------------------------------


MEGABYTE = "x" * 1_000_000


def test_a_megabyte_change_request_description_is_a_field_error(api, sent_quote, acme_contact):
    response = api(acme_contact).post(
        "/api/v1/change-requests/",
        {"quote": str(sent_quote.pk), "title": "Big", "description": MEGABYTE},
        format="json",
    )
    assert_field_error(response, "description")
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("quote", "internal_notes"),
        ("quote", "terms"),
        ("line", "scope_statement"),
        ("line", "custom_spec"),
        ("transition", "comment"),
    ],
)
def test_megabyte_texts_on_quotes_are_field_errors(api, make_quote, sales_rep, path, field):
    quote = make_quote()
    client = api(sales_rep)
    url = {
        "quote": f"/api/v1/quotes/{quote.pk}/",
        "line": f"{lines_url(quote)}{quote.lines.get().pk}/",
        "transition": f"/api/v1/quotes/{quote.pk}/transitions/submit/",
    }[path]
    method = client.post if path == "transition" else client.patch
    assert_field_error(method(url, {field: MEGABYTE}, format="json"), field)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# Serializers that only document answers: nothing is ever read through them.
OUTPUT_ONLY = {
    "ConfigurationResultSerializer",
    "ConflictSerializer",
    "IssuedTokenSerializer",
    # what a posted comment answers (who was notified)
    "CommentCreatedSerializer",
    "NotNotifiedSerializer",
}


def test_every_input_of_the_api_has_bounds():
    """Text has a max_length, numbers a min and max, lists a max length.

    Walks every serializer of ours, so a new input field without bounds fails here.
    """
    from rest_framework import serializers

    import config.api  # noqa: F401  (imports every API module)

    unbounded = []
    for cls in set(_subclasses(serializers.Serializer)):
        if not cls.__module__.startswith("apps.") or cls.__name__ in OUTPUT_ONLY:
            continue
        if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
            continue  # an abstract base
        for name, field in cls().fields.items():
            if field.read_only:
                continue
            where = f"{cls.__name__}.{name}"
            if isinstance(field, serializers.ChoiceField | serializers.RelatedField):
                continue
            if isinstance(field, serializers.CharField) and field.max_length is None:
                unbounded.append(where)
            if isinstance(field, serializers.IntegerField) and (
                field.max_value is None or field.min_value is None
            ):
                unbounded.append(where)
            if isinstance(field, serializers.DecimalField) and field.max_digits is None:
                unbounded.append(where)
            if isinstance(field, serializers.ListField) and field.max_length is None:
                unbounded.append(where)
    assert sorted(unbounded) == []


def test_every_page_form_bounds_its_text_and_numbers():
    """The page forms of our apps: the same bounds as the API, or the column's."""
    from django import forms

    import config.urls  # noqa: F401  (imports every page's views and forms)

    unbounded = []
    checked = set()
    for cls in set(_subclasses(forms.Form)):
        if not cls.__module__.startswith("apps."):
            continue
        try:
            form = cls()
        except TypeError:
            continue  # needs arguments (a user, an object): its fields are checked by its tests
        checked.add(cls.__name__)
        for name, field in form.fields.items():
            where = f"{cls.__name__}.{name}"
            if isinstance(field.widget, forms.PasswordInput):
                continue
            if isinstance(field, forms.UUIDField):
                continue  # parsed into a fixed-size UUID or refused
            if isinstance(field, forms.CharField) and field.max_length is None:
                unbounded.append(where)
            if isinstance(field, forms.IntegerField | forms.DecimalField) and (
                field.max_value is None or field.min_value is None
            ):
                unbounded.append(where)
    assert {
        "TransitionForm",
        "OrderCancelForm",
        "ChangeRequestForm",
        "DecisionForm",
        "ExpediteForm",
    } <= checked
    assert sorted(unbounded) == []


# -- SQLite: two people saving at once -------------------------------------------------

SQLITE_RACE = textwrap.dedent(
    """
    import threading, time
    import django
    django.setup()
    from django.db import connection, connections, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE doc (id INTEGER PRIMARY KEY, version INTEGER)")
        cursor.execute("INSERT INTO doc VALUES (1, 1)")
    connection.close()

    barrier = threading.Barrier(2)
    outcomes = []

    def save():
        # What a versioned save does (lock_for_update, then save_versioned): the
        # version both people read on the page, then in one transaction a read
        # of the row and a compare-and-set write. Deferred SQLite transactions
        # both take the read lock and cannot upgrade it: "database is locked".
        try:
            expected = 1
            barrier.wait()
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT version FROM doc WHERE id = 1")
                    cursor.fetchone()
                    time.sleep(0.3)
                    cursor.execute(
                        "UPDATE doc SET version = version + 1 WHERE id = 1 AND version = %s",
                        [expected],
                    )
                    outcomes.append("saved" if cursor.rowcount == 1 else "stale")
        except Exception as exc:
            outcomes.append(f"error: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(outcomes))
    """
)


def test_two_simultaneous_saves_on_the_sqlite_demo_wait_instead_of_failing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SQLITE_PATH=str(tmp_path / "demo.sqlite3"),
        CELERY_BROKER_URL="",
    )
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_RACE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # The second writer waited for the first and then saw the version move on:
    # the service turns that into the same 409 PostgreSQL gives.
    assert result.stdout.strip() == "['saved', 'stale']", result.stdout
