"""The portal detail pages read their first lines with SQL compiled once per process
(apps.core.prepared) and the navbar's roles with SQL compiled once: each request still
reads its own rows, and only the columns a customer may see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from apps.accounts.models import User
from apps.core.roles import Role
from apps.customers import views
from apps.orders.models import OrderLine, QuoteLine
from apps.orders.services import quotes as quote_services

pytestmark = pytest.mark.django_db

# What a customer may never be sent, on a quote line or an order line.
INTERNAL_LINE_FIELDS = {"unit_cost", "margin_percent", "critical_path", "unit_list_price"}


def _quote_page(quote) -> str:
    return reverse("customers:quote-detail", kwargs={"pk": quote.pk})


def _order_page(order) -> str:
    return reverse("customers:order-detail", kwargs={"pk": order.pk})


def test_quote_rows_hold_only_what_the_customer_sees(sent_quote):
    rows = views._quote_window_rows(sent_quote.pk)
    line = sent_quote.lines.get()
    assert [row.position for row in rows] == [line.position]
    allowed = {"id", "product_id", "product", *views.PORTAL_LINE_FIELDS} - {"product__name"}
    for row in rows:
        assert set(vars(row)) <= allowed
        assert not set(vars(row)) & INTERNAL_LINE_FIELDS
        assert vars(row.product) == {"name": line.product.name}
        assert row.unit_price == line.unit_price and row.line_total == line.line_total


def test_order_lines_load_only_what_the_customer_sees(order):
    (line,) = views._order_window_lines(order.pk)
    stored = OrderLine.objects.get(pk=line.pk)
    loaded = {f.attname for f in OrderLine._meta.concrete_fields} - line.get_deferred_fields()
    assert loaded == {"id", *views.PORTAL_ORDER_LINE_FIELDS}
    assert not loaded & INTERNAL_LINE_FIELDS
    assert (line.position, line.line_total, line.customer_date) == (
        stored.position,
        stored.line_total,
        stored.customer_date,
    )


def test_each_quote_page_shows_its_own_lines_after_another_was_read(
    client_for, acme_contact, borealis_contact, sent_quote, make_quote, sales_rep, borealis
):
    """The compiled SQL is reused with the next quote's id: never the first quote's rows."""
    QuoteLine.objects.filter(quote=sent_quote).update(scope_statement="ACME-ONLY-SCOPE")
    other = make_quote(customer=borealis, title="Brewhouse skid")
    other = quote_services.quote_send(
        quote=quote_services.quote_submit(quote=other, actor=sales_rep), actor=sales_rep
    )
    QuoteLine.objects.filter(quote=other).update(scope_statement="BOREALIS-ONLY-SCOPE")

    first = client_for(acme_contact).get(_quote_page(sent_quote)).content.decode()
    second = client_for(borealis_contact).get(_quote_page(other)).content.decode()

    assert "ACME-ONLY-SCOPE" in first and "BOREALIS-ONLY-SCOPE" not in first
    assert "BOREALIS-ONLY-SCOPE" in second and "ACME-ONLY-SCOPE" not in second


def test_a_line_changed_after_a_page_shows_on_the_next_request(client_for, acme_contact, order):
    client = client_for(acme_contact)
    line = order.lines.get()
    assert "NEW-SCOPE-TEXT" not in client.get(_order_page(order)).content.decode()
    OrderLine.objects.filter(pk=line.pk).update(scope_statement="NEW-SCOPE-TEXT")
    assert "NEW-SCOPE-TEXT" in client.get(_order_page(order)).content.decode()


def test_role_names_are_each_users_own_and_follow_group_changes(acme_contact, sales_rep):
    # The first call compiles the SQL; the next users run it with their own id.
    assert Role.SALES_REP in User.objects.get(pk=sales_rep.pk).role_names
    contact_roles = User.objects.get(pk=acme_contact.pk).role_names
    assert Role.SALES_REP not in contact_roles

    group, _ = Group.objects.get_or_create(name=Role.PLANNER)
    acme_contact.groups.add(group)
    fresh = User.objects.get(pk=acme_contact.pk)
    assert Role.PLANNER in fresh.role_names
    assert fresh.role_names == contact_roles | {Role.PLANNER}
    assert Role.PLANNER not in User.objects.get(pk=sales_rep.pk).role_names


def test_permission_names_come_with_the_roles(sales_rep):
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(group__user=sales_rep).select_related("content_type")
    }
    assert held and User.objects.get(pk=sales_rep.pk).permission_names == held
