"""List rows rendered from their presenter's values and memoised by them (apps.core.rows).

- every row template reads only `row` and only keys its presenter returns, and
  every presenter returns plain values (so their repr is the whole content);
- a row is rendered from its values alone: the page's context does not reach it;
- the cache is a content address: a field changed through the service or the page
  changes the row at once, and equal values render once;
- the key tells apart values that are equal but render differently.
"""

from __future__ import annotations

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from apps.core import rows
from apps.core.rows import (
    ROW_PRESENTERS,
    RowCache,
    render_rows,
    row_cache,
    row_query,
    row_values,
)
from apps.orders.services import quotes as quote_services
from apps.sales import services as sales_services
from tests.sales.sales_helpers import opportunity, qualifying, web_inquiry

LIST_ROWS = {
    "sales/quote_list.html#row",
    "sales/order_list.html#row",
    "sales/inquiry_list.html#row",
    "sales/opportunity_list.html#row",
    "customers/quote_list.html#row",
    "customers/order_list.html#row",
    "accounts/directory/list.html#row",
}
# Names a row template may use besides `row`: tag names, operators, literals, kwarg names.
_WORDS = {"if", "elif", "else", "endif", "url", "status_badge", "and", "or", "not", "is"}
_WORDS |= {"in", "None", "True", "False"}


@pytest.fixture(autouse=True)
def _empty_row_cache():
    row_cache.clear()
    yield
    row_cache.clear()


def _partial_source(name: str) -> str:
    path, partial = name.split("#")
    source = get_template(path).template.source
    match = re.search(
        r"\{% partialdef " + partial + r" %\}(.*?)\{% endpartialdef %\}", source, re.S
    )
    assert match, name
    return _with_includes(match.group(1))


def _with_includes(source: str) -> str:
    """`source` with each plain `{% include "name" %}` replaced by the included template's
    source (a row's shared cell reads only `row.` too); an include with arguments stays
    and fails the check."""
    return re.sub(
        r'\{% include "([^"]+)" %\}',
        lambda m: _with_includes(_COMMENT.sub("", get_template(m.group(1)).template.source)),
        source,
    )


_COMMENT = re.compile(r"\{% comment %\}.*?\{% endcomment %\}", re.S)


def _names_read(source: str) -> set[str]:
    """Every variable a template's tags and {{ }} read (literals and filters removed)."""
    names = set()
    for expr in re.findall(r"\{\{(.*?)\}\}|\{%(.*?)%\}", source):
        text = "".join(expr)
        text = re.sub(r"'[^']*'|\"[^\"]*\"", " ", text)  # string literals
        text = re.sub(r"\|\w+(:\S+)?", " ", text)  # filters and their arguments
        text = re.sub(r"\b\w+=", " ", text)  # keyword argument names
        names |= {w for w in re.findall(r"[A-Za-z_][\w.]*", text) if w not in _WORDS}
    return names


def test_every_list_row_has_a_presenter():
    assert set(ROW_PRESENTERS) >= LIST_ROWS


@pytest.mark.parametrize("name", sorted(LIST_ROWS))
def test_a_row_template_reads_only_its_values(name):
    names = _names_read(_partial_source(name))
    assert names, name
    assert all(n.startswith("row.") for n in names), names


@pytest.fixture
def list_objects(make_quote, order, sales_rep, acme):
    """One object of each list, loaded the way its list loads its page's rows:
    the list's selector, then only the columns of the row (row_query)."""
    from apps.orders import selectors
    from apps.sales import selectors as sales_selectors

    quote = make_quote(title="Skids for the north plant")
    inquiry = qualifying(web_inquiry(), sales_rep)
    opportunity(sales_rep, acme)
    querysets = {
        "sales/quote_list.html#row": selectors.quote_list(sales_rep).filter(pk=quote.pk),
        "sales/order_list.html#row": selectors.order_list(sales_rep).filter(pk=order.pk),
        "sales/inquiry_list.html#row": sales_selectors.inquiry_list(sales_rep).filter(
            pk=inquiry.pk
        ),
        "sales/opportunity_list.html#row": sales_selectors.opportunity_list(sales_rep),
        "customers/quote_list.html#row": selectors.portal_quote_list(sales_rep).filter(
            pk=order.quote_id
        ),
        "customers/order_list.html#row": selectors.order_list(sales_rep).filter(pk=order.pk),
    }
    return {name: row_query(name)(qs).get() for name, qs in querysets.items()}


def test_presenters_return_plain_values_for_every_name_their_template_reads(
    list_objects, django_assert_num_queries
):
    for name, obj in list_objects.items():
        with django_assert_num_queries(0):  # row_query loaded every column it reads
            values = row_values(name, obj)  # raises on a value that is not plain
        read = {n.split(".")[1] for n in _names_read(_partial_source(name))}
        assert read <= set(values), (name, read - set(values))
        html = render_rows(name, [obj])
        assert f">{values['number']}</a>" in html


def test_a_row_is_rendered_from_its_values_alone(list_objects):
    """The row template gets `row` and nothing else: not the page's context."""
    name = "sales/quote_list.html#row"
    values = row_values(name, list_objects[name])
    html = rows.render_row(name, values)
    assert html == get_template(name).render({"row": values, "obj": None, "quote": None})
    assert values["customer"] in html and values["owner"] in html


def test_equal_values_render_once(list_objects):
    name = "sales/quote_list.html#row"
    obj = list_objects[name]
    with mock.patch.object(rows, "render_row", wraps=rows.render_row) as render:
        first = render_rows(name, [obj, obj])
        second = render_rows(name, [obj])
    assert render.call_count == 1
    assert first == second + second


def test_the_key_tells_apart_values_that_render_differently(monkeypatch):
    name = "test#row"
    monkeypatch.setitem(ROW_PRESENTERS, name, lambda obj: {"value": obj})
    monkeypatch.setattr(rows, "render_row", lambda name, values: str(values["value"]))
    assert render_rows(name, [Decimal("1.0"), Decimal("1.00"), True, 1]) == "1.01.00True1"
    with pytest.raises(TypeError, match="plain values only"):
        render_rows(name, [mark_safe("<b>bold</b>")])


def test_the_cache_is_bounded():
    cache = RowCache(2)
    for key in "abc":
        cache.set((key,), key)
    assert len(cache) == 2 and cache.get(("a",)) is None and cache.get(("c",)) == "c"


def test_a_quote_changed_through_the_service_shows_at_once(client_for, make_quote, sales_rep):
    quote = make_quote(title="First title")
    client = client_for(sales_rep)
    url = reverse("sales:quote-list")
    assert "First title" in client.get(url).content.decode()
    quote_services.quote_update(
        quote=quote, actor=sales_rep, expected_version=None, title="Second title"
    )
    page = client.get(url).content.decode()
    assert "Second title" in page and "First title" not in page


def test_a_directory_row_changed_through_the_service_shows_at_once(client_for, sales_rep):
    from apps.accounts import services as account_services
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(name="Osprey Valves", code="C-OSP")
    client = client_for(sales_rep)
    url = reverse("sales:customer-list") + "?q=Osprey"

    def row() -> str:
        page = client.get(url).content.decode()
        return page.split('data-org="C-OSP"', 1)[1].split("</tr>", 1)[0]

    assert '<span class="text-body-tertiary">0</span>' in row()
    account_services.invitation_create(
        organization=org, email="buyer@osprey.example", first_name="Ana", invited_by=sales_rep
    )
    assert '<span class="badge text-bg-info">1</span>' in row()


def test_an_opportunity_changed_through_the_service_shows_at_once(client_for, sales_rep, acme):
    opp = opportunity(sales_rep, acme, probability=40)
    client = client_for(sales_rep)
    url = reverse("sales:opportunity-list")
    assert ">40%</td>" in client.get(url).content.decode()
    sales_services.opportunity_update(opportunity=opp, actor=sales_rep, probability=65)
    page = client.get(url).content.decode()
    assert ">65%</td>" in page and ">40%</td>" not in page


def test_the_portal_row_of_a_quote_being_revised_shows_its_sent_version(
    client_for, sent_quote, sales_rep, acme_contact
):
    client = client_for(acme_contact)
    url = reverse("customers:quote-list")
    sent_badge = 'data-state="sent">Awaiting your decision</span>'
    assert sent_badge in client.get(url).content.decode()
    quote_services.quote_revise(quote=sent_quote, actor=sales_rep)
    page = client.get(url).content.decode()
    assert 'data-state="being_revised">Being revised</span>' in page and sent_badge not in page


# A detail page's line rows: the same pattern (the staff quote's and order's lines, the
# portal quote's), rendered with `{% list_rows %}` / `{% memo_row %}`.
DETAIL_ROWS = {
    "sales/quote_detail.html#line-row",
    "sales/order_detail.html#line-row",
    "customers/quote_detail.html#line-row",
    "customers/order_detail.html#line-row",
}
SHARED = {
    "customers/quote_detail.html#line-row": {"currency": "EUR", "can_request_change": True},
    "customers/order_detail.html#line-row": {"currency": "EUR"},
}


@pytest.mark.parametrize("name", sorted(DETAIL_ROWS))
def test_a_detail_line_row_reads_only_its_values(name, order, sales_rep, django_assert_num_queries):
    from apps.customers.views import LineDates
    from apps.orders.models import OrderLine, QuoteLine

    source = _partial_source(name)
    # A loop over a value of the row (a line's dated notes) names its items.
    loop_names = set(re.findall(r"\{% for ([\w, ]+) in row\.", source))
    loop_names = {n.strip() for names in loop_names for n in names.split(",")}
    names = _names_read(source) - loop_names - {"for", "endfor"}
    assert names and all(n.startswith("row.") for n in names), names
    if "order_detail" in name:
        line = OrderLine.objects.filter(order=order).first()
        notes = ((timezone.now(), "Supplier delay"),)
        obj = LineDates(line=line, notes=notes) if "customers" in name else line
    else:
        obj = line = QuoteLine.objects.select_related("product").filter(quote=order.quote).first()
    shared = SHARED.get(name)
    with django_assert_num_queries(0):
        values = row_values(name, obj, shared)
    assert {n.split(".")[1] for n in names} <= set(values)
    html = render_rows(name, [obj], shared)
    assert str(line.quantity) in html
    if "customers/order" in name:
        assert "Supplier delay" in html


def test_a_line_changed_through_the_service_shows_at_once_on_the_page(
    client, sales_rep, make_quote
):
    """The line rows are memoised by their values: an edit shows on the next render."""
    quote = make_quote()
    line = quote.lines.first()
    client.force_login(sales_rep)
    url = reverse("sales:quote-detail", args=[quote.pk])
    assert f'<td class="text-end">{line.quantity}</td>' in client.get(url).content.decode()
    quote_services.quote_line_update(line=line, actor=sales_rep, quantity=line.quantity + 7)
    html = client.get(url).content.decode()
    assert f'<td class="text-end">{line.quantity + 7}</td>' in html
