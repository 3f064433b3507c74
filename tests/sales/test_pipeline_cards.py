"""The pipeline board's cards: plain values built by the view, each card rendered once
per distinct content (apps.core.rows.render_values, `{% memo_rows %}`).

- a card changed through the services or the pages shows its new content on the next
  request (a content address is never stale), the same for its moves' buttons;
- what differs by audience (may the user move cards, the refusals) is in the values;
- the forms of memoised cards carry the page's CSRF token;
- the moves are worked out once per (state, quote facts): the conditions and the
  permissions they read are pinned here.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse

from apps.core import rows
from apps.core.rows import row_cache
from apps.orders.models import rules
from apps.sales import selectors, services
from apps.sales.models import Opportunity, OpportunityState
from tests.sales.sales_helpers import opportunity

pytestmark = pytest.mark.django_db

CARD = "sales/pipeline.html#card"


@pytest.fixture(autouse=True)
def _empty_row_cache():
    row_cache.clear()
    yield
    row_cache.clear()


def _card(page: str, number: str) -> str:
    match = re.search(
        rf'<article class="card pipeline-card[^>]*data-opportunity="{number}".*?</article>',
        page,
        re.S,
    )
    assert match, number
    return match.group(0)


def _column_of(page: str, number: str) -> str:
    at = page.index(f'data-opportunity="{number}"')
    return re.findall(r'<section class="pipeline-column card" data-stage="(\w+)"', page[:at])[-1]


def test_a_card_changed_through_the_services_shows_on_the_next_request(
    client_for, sales_rep, acme, acme_addresses, catalog
):
    opp = opportunity(sales_rep, acme, title="Skid A", currency="USD")
    client = client_for(sales_rep)
    board = reverse("sales:pipeline")
    card = _card(client.get(board).content.decode(), opp.number)
    assert "Skid A" in card
    assert 'data-move="start_quoting" disabled' in card
    assert "Cannot start quoting yet: it has no quote yet" in card

    services.opportunity_update(opportunity=opp, actor=sales_rep, title="Skid B", probability=55)
    card = _card(client.get(board).content.decode(), opp.number)
    assert "Skid B" in card and "Skid A" not in card
    assert "· 55% ·" in card

    # A quote moves it to quoting: its buttons change with its state and facts.
    services.opportunity_quote_create(opportunity=opp, actor=sales_rep)
    page = client.get(board).content.decode()
    assert _column_of(page, opp.number) == "quoting"
    card = _card(page, opp.number)
    assert "start_quoting" not in card
    assert 'data-move="win" disabled title="Cannot win yet: none of its quotes is accepted."' in (
        card
    )
    opp.refresh_from_db()
    assert f'data-version="{opp.version}"' in card


def test_a_card_moved_on_the_board_shows_in_its_new_column(client_for, sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    client = client_for(sales_rep)
    client.get(reverse("sales:pipeline"))  # the card is memoised
    url = reverse("sales:pipeline-move", args=[opp.pk, "lose"])
    answer = client.post(url, {"comment": "Rival", "version": opp.version}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    for page in (answer.content.decode(), client.get(reverse("sales:pipeline")).content.decode()):
        assert _column_of(page, opp.number) == "lost"
        card = _card(page, opp.number)
        assert "data-move=" not in card  # a lost card offers no move
        assert f'data-version="{opp.version + 1}"' in card


def test_each_audience_gets_its_own_card(client_for, sales_rep, engineer, acme):
    opp = opportunity(sales_rep, acme, title="Skid A")
    board = reverse("sales:pipeline")
    rep_card = _card(client_for(sales_rep).get(board).content.decode(), opp.number)
    engineer_card = _card(client_for(engineer).get(board).content.decode(), opp.number)
    assert 'draggable="true"' in rep_card and "data-move=" in rep_card
    assert 'draggable="true"' not in engineer_card and "data-move=" not in engineer_card
    assert "Skid A" in engineer_card


def test_equal_cards_render_once_and_carry_the_pages_csrf_token(client_for, sales_rep, acme):
    opportunity(sales_rep, acme, title="Skid A")
    opportunity(sales_rep, acme, title="Skid B")
    client = client_for(sales_rep)
    client.get(reverse("sales:pipeline"))
    with mock.patch.object(rows, "render_row", wraps=rows.render_row) as render:
        page = client.get(reverse("sales:pipeline")).content.decode()
    assert render.call_count == 0  # every card came from the memo
    assert rows.CSRF_PLACEHOLDER not in page
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1 and len(tokens.pop()) == 64
    # Another session's page carries its own token in the same memoised cards.
    other = client_for(sales_rep)
    other.cookies.clear()
    other.force_login(sales_rep)
    again = other.get(reverse("sales:pipeline")).content.decode()
    assert rows.CSRF_PLACEHOLDER not in again and "csrfmiddlewaretoken" in again


def test_the_moves_read_only_the_state_the_quote_facts_and_the_user():
    """The board works a card's moves out once per (state, quote facts): true while
    every condition of a move is one of the annotated facts and every permission
    looks at the user only. A new condition or permission must be added there."""
    transitions = Opportunity._meta.get_field("state").transitions[Opportunity]
    conditions, permissions = set(), set()
    for method in transitions.values():
        for transition in method._django_fsm.transitions.values():
            conditions |= {c.__name__ for c in transition.conditions or ()}
            permissions.add(transition.permission)
    assert conditions == set(selectors.QUOTE_FACTS)
    assert permissions <= {rules.can_sell, rules.can_sell_or_system}


@pytest.mark.parametrize("state", [s.value for s in OpportunityState])
def test_a_column_annotates_the_facts_its_moves_read(
    sales_rep, acme, state, django_assert_num_queries
):
    opportunity(sales_rep, acme)
    qs = selectors.with_quote_facts(Opportunity.objects.all(), state=state)
    card = qs.get()
    needed = {selectors.QUOTE_FACTS[name] for name in selectors.move_conditions(state)}
    assert {name for name in selectors.QUOTE_FACTS.values() if name in card.__dict__} == needed
    card.__dict__["state"] = state  # as if loaded in that state (the field is protected)
    from apps.core.transitions import transition_options

    with django_assert_num_queries(0):  # every condition reads an annotation
        transition_options(card, sales_rep)


def test_a_columns_shared_sql_reads_what_a_narrowed_query_reads(sales_rep, acme, acme_contact):
    """Staff who see every opportunity share each column's compiled SQL
    (apps.core.prepared); its rows are those the ORM reads for the same column, and a
    contact (narrowed to nothing) reads none."""
    for i in range(3):
        opportunity(sales_rep, acme, title=f"Skid {i}")
    columns = {c.state: c for c in selectors.pipeline_board(sales_rep)}
    everyone = Opportunity.objects.all()
    for state in selectors.BOARD_STAGES:
        assert columns[state].cards == list(selectors._column_cards(everyone, state, 20))
    titles = [c["title"] for c in columns[OpportunityState.OPEN].cards]
    assert titles == ["Skid 2", "Skid 1", "Skid 0"]
    assert all(not c.cards for c in selectors.pipeline_board(acme_contact))
