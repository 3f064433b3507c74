"""The builder's read-only preview (apps.orders.services.line_preview) and the option
choices the configurator offers (apps.catalog.configuration.option_choices)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.catalog.configuration import option_choices
from apps.core.models import Activity
from apps.orders import selectors
from apps.orders.models import Quote, QuoteLine
from apps.orders.services import quotes as quote_services
from apps.orders.services.line_preview import quote_line_preview
from tests.orders.conftest import in_days

pytestmark = pytest.mark.django_db

SAVED = (
    "unit_list_price",
    "unit_price",
    "unit_cost",
    "line_total",
    "margin_percent",
    "discount_percent",
    "configuration",
    "configuration_text",
    "feasible_date",
    "critical_path",
    "promise_explanation",
    "needs_engineering",
)


def _fresh(quote, user) -> Quote:
    # As the builder reads it: lines prefetched with their products.
    return selectors.quote_get_for_user(user, quote.pk)


def _writes(quote) -> tuple:
    quote = Quote.objects.get(pk=quote.pk)
    return (quote.version, quote.line_count, QuoteLine.objects.count(), Activity.objects.count())


def test_preview_of_a_new_line_is_what_adding_it_stores_and_writes_nothing(
    make_quote, sales_rep, catalog
):
    quote = make_quote(lines=[("skid", 2, {}, 0)])
    before = _writes(quote)
    preview = quote_line_preview(
        quote=_fresh(quote, sales_rep),
        actor=sales_rep,
        product=catalog["skid"],
        quantity=3,
        configuration={"drive": "vfd"},
        discount_percent=Decimal("5"),
    )
    assert _writes(quote) == before
    saved = quote_services.quote_line_add(
        quote=quote,
        actor=sales_rep,
        product=catalog["skid"],
        quantity=3,
        configuration={"drive": "vfd"},
        discount_percent=Decimal("5"),
    )
    for name in SAVED:
        assert getattr(preview.line, name) == getattr(saved, name), name
    assert preview.line.position == saved.position == 20
    assert preview.line.configuration_text == "Drive: VFD"


def test_preview_of_an_edit_matches_the_update_and_keeps_the_line_in_its_place(
    make_quote, sales_rep, catalog
):
    quote = make_quote(lines=[("skid", 1, {}, 0), ("cabinet", 1, {}, 0)])
    first = quote.lines.get(position=10)
    before = _writes(quote)
    preview = quote_line_preview(
        quote=_fresh(quote, sales_rep),
        actor=sales_rep,
        product=first.product,
        quantity=8,
        configuration={"drive": "vfd"},
        line=first,
    )
    assert _writes(quote) == before
    assert QuoteLine.objects.get(pk=first.pk).quantity == 1
    saved = quote_services.quote_line_update(
        line=first, actor=sales_rep, quantity=8, configuration={"drive": "vfd"}
    )
    for name in SAVED:
        assert getattr(preview.line, name) == getattr(saved, name), name
    assert preview.line.position == 10


def test_a_later_line_is_promised_after_the_earlier_lines_claim_the_stock(
    make_quote, sales_rep, catalog
):
    # 50 motors in stock: the first line takes 45, so 10 more wait for the supplier.
    quote = make_quote(lines=[("skid", 45, {}, 0)])
    alone = quote_line_preview(
        quote=_fresh(make_quote(lines=()), sales_rep),
        actor=sales_rep,
        product=catalog["skid"],
        quantity=10,
    )
    after = quote_line_preview(
        quote=_fresh(quote, sales_rep), actor=sales_rep, product=catalog["skid"], quantity=10
    )
    assert after.line.feasible_date > alone.line.feasible_date
    assert "Motor 5.5 kW" in after.line.promise_explanation


def test_preview_names_the_reviews_the_line_will_ask_for(make_quote, sales_rep, catalog):
    quote = make_quote(lines=(), requested_date=in_days(2))
    preview = quote_line_preview(
        quote=_fresh(quote, sales_rep),
        actor=sales_rep,
        product=catalog["skid"],
        quantity=1,
        discount_percent=Decimal("15"),
    )
    assert preview.discount_limit == Decimal("10")
    assert preview.discount_over_limit
    assert preview.requested_date == in_days(2)
    assert preview.requested_before_feasible
    departments = dict(preview.reviews)
    assert departments["Pricing"] == "line 10 (Pump skid): discount 15 % exceeds the 10 % limit"
    assert departments["Manufacturing"].startswith("line 10 (Pump skid): requested ")
    # The line's own requested date wins over the quote's.
    later = quote_line_preview(
        quote=_fresh(quote, sales_rep),
        actor=sales_rep,
        product=catalog["skid"],
        quantity=1,
        requested_date=in_days(90),
    )
    assert not later.requested_before_feasible and not later.discount_over_limit
    assert later.reviews == []


def test_preview_refuses_what_saving_refuses(make_quote, sales_rep, planner, catalog):
    quote = _fresh(make_quote(lines=()), sales_rep)
    with pytest.raises(PermissionDenied):
        quote_line_preview(quote=quote, actor=planner, product=catalog["skid"], quantity=1)
    with pytest.raises(ValidationError) as err:
        quote_line_preview(
            quote=quote, actor=sales_rep, product=catalog["skid"], quantity=1,
            configuration={"drive": "nope"},
        )  # fmt: skip
    assert err.value.detail == {"configuration": {"drive": ["“nope” is not an available drive."]}}
    catalog["cabinet"].is_active = False
    catalog["cabinet"].save()
    with pytest.raises(ValidationError) as err:
        quote_line_preview(quote=quote, actor=sales_rep, product=catalog["cabinet"], quantity=1)
    assert err.value.message_dict == {"product": ["This product is no longer sold."]}


def test_a_quantity_no_capacity_can_deliver_is_a_field_error_not_a_crash(
    make_quote, sales_rep, catalog, token_api
):
    quote = make_quote(lines=())
    with pytest.raises(ValidationError) as err:
        quote_line_preview(
            quote=_fresh(quote, sales_rep),
            actor=sales_rep,
            product=catalog["skid"],
            quantity=50_000,
        )
    assert "planning horizon" in err.value.message_dict["quantity"][0]
    # Saving it was a ValueError (a 500 on every page and API that adds a line).
    with pytest.raises(ValidationError) as err:
        quote_services.quote_line_add(
            quote=quote, actor=sales_rep, product=catalog["skid"], quantity=50_000
        )
    assert "No delivery date can be promised" in err.value.message_dict["quantity"][0]
    response = token_api(sales_rep).post(
        f"/api/v1/quotes/{quote.pk}/lines/",
        {"product": str(catalog["skid"].pk), "quantity": 50_000},
        format="json",
    )
    assert response.status_code == 400
    assert "planning horizon" in str(response.json()["quantity"])
    assert not quote.lines.exists()


# -- option choices ---------------------------------------------------------------


def _offered(choices) -> dict:
    return {
        group: {c.option.code: (c.reason, c.needs) for c in items}
        for group, items in choices.items()
    }


def test_an_option_excluded_by_a_choice_is_not_offered_and_says_why(
    cabinet_rules, django_assert_num_queries
):
    with django_assert_num_queries(0):
        choices = _offered(option_choices(product=cabinet_rules, selections={}, quantity=1))
    # The default basic PLC excludes the 12" panel, both ways round.
    assert choices["hmi"]["12in"] == ('The 12" HMI needs the advanced PLC.', ())
    assert choices["plc"] == {"basic": ("", ()), "advanced": ("", ())}
    choices = _offered(
        option_choices(
            product=cabinet_rules, selections={"plc": "advanced", "hmi": "12in"}, quantity=1
        )
    )
    assert choices["hmi"]["12in"] == ("", ())
    assert choices["plc"]["basic"] == ('The 12" HMI needs the advanced PLC.', ())
    # Inactive options are never offered; a requirement is named, not hidden.
    assert set(choices["extras"]) == {"heater", "stainless"}
    assert choices["extras"]["stainless"] == ("", ("Heater",))


def test_a_quantity_rule_withdraws_its_option_beyond_the_bound(cabinet_rules):
    choices = _offered(option_choices(product=cabinet_rules, selections={}, quantity=11))
    assert choices["extras"]["stainless"] == (
        "Stainless is available at most 10 units.",
        ("Heater",),
    )
    assert choices["extras"]["heater"] == ("", ())


def test_the_rules_the_page_offers_agree_with_validation(cabinet_rules, make_quote, sales_rep):
    quote = _fresh(make_quote(lines=()), sales_rep)
    with pytest.raises(ValidationError) as err:
        quote_line_preview(
            quote=quote, actor=sales_rep, product=cabinet_rules, quantity=1,
            configuration={"extras": ["stainless"]},
        )  # fmt: skip
    assert err.value.detail == {"configuration": {"extras": ["Stainless requires Heater."]}}
    preview = quote_line_preview(
        quote=quote, actor=sales_rep, product=cabinet_rules, quantity=1,
        configuration={"extras": ["stainless", "heater"], "plc": "advanced", "hmi": "12in"},
    )  # fmt: skip
    assert preview.line.configuration == {
        "plc": "advanced",
        "hmi": "12in",
        "extras": ["stainless", "heater"],
    }
