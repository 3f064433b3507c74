"""The page shell's memoised fragments (`{% memo %}`, apps/core/templatetags/memo.py)
and the navigation entries cached per role set: what differs by user, role or page
is never answered from another one's text."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.test import override_settings
from django.utils.functional import SimpleLazyObject

from apps.core import navigation
from apps.core.navigation import NAV_ITEMS, NavItem, nav_for, nav_key, register_nav_item
from apps.core.roles import Role
from apps.core.services import notify
from apps.core.templatetags import memo

NAV = re.compile(r'aria-label="Main navigation">(.*?)</nav>', re.S)


def _template(source: str):
    return engines["django"].from_string("{% load memo %}" + source)


def test_a_memo_block_renders_once_per_key():
    template = _template("{% memo key %}{{ text }}{% endmemo %}")
    assert template.render({"key": "k1", "text": "first"}) == "first"
    assert template.render({"key": "k1", "text": "second"}) == "first"  # same key: stored
    assert template.render({"key": "k2", "text": "second"}) == "second"


def test_a_template_parsed_again_renders_again():
    source = "{% memo %}{{ text }}{% endmemo %}"
    assert _template(source).render({"text": "old"}) == "old"
    assert _template(source).render({"text": "new"}) == "new"


def test_a_lazy_key_is_stored_as_its_value():
    template = _template("{% memo key %}{{ text }}{% endmemo %}")
    lazy = SimpleLazyObject(lambda: ("entries", 1))
    assert template.render({"key": lazy, "text": "lazy"}) == "lazy"
    assert template.render({"key": ("entries", 1), "text": "other"}) == "lazy"
    assert not any(isinstance(part, SimpleLazyObject) for key in memo._fragments for part in key)


def test_two_blocks_never_share_a_text():
    template = _template("{% memo %}{{ a }}{% endmemo %}|{% memo %}{{ b }}{% endmemo %}")
    assert template.render({"a": "A", "b": "B"}) == "A|B"


def test_the_store_is_bounded_and_a_changed_setting_empties_it():
    template = _template("{% memo key %}{{ key }}{% endmemo %}")
    for n in range(memo.MAX_ENTRIES + 50):
        template.render({"key": n})
    assert len(memo._fragments) <= memo.MAX_ENTRIES
    with override_settings(STATIC_URL="/elsewhere/"):
        assert not memo._fragments


@pytest.mark.django_db
def test_the_navbar_follows_the_page_and_the_roles(client_for, sales_rep, ops_admin):
    client = client_for(sales_rep)
    customers = NAV.search(client.get("/sales/customers/").content.decode()).group(1)
    quotes = NAV.search(client.get("/sales/quotes/").content.decode()).group(1)
    assert 'class="nav-link active" aria-current="page" href="/sales/customers/"' in customers
    assert 'class="nav-link active" aria-current="page" href="/sales/quotes/"' in quotes
    assert 'aria-current="page" href="/sales/customers/"' not in quotes
    assert 'href="/admin/"' not in quotes
    # Another role on the same page gets its own entries, not the stored ones.
    admin_quotes = NAV.search(client_for(ops_admin).get("/sales/quotes/").content.decode()).group(1)
    assert 'href="/admin/"' in admin_quotes
    assert 'class="nav-link active" aria-current="page" href="/sales/quotes/"' in admin_quotes


@pytest.mark.django_db
def test_the_user_parts_of_the_shell_stay_the_users(client_for, sales_rep, sales_manager):
    notify(recipients=[sales_manager], title="Hello")
    rep_page = client_for(sales_rep).get("/sales/quotes/").content.decode()
    manager_page = client_for(sales_manager).get("/sales/quotes/").content.decode()
    assert 'data-testid="unread-count"' not in rep_page
    assert 'data-testid="unread-count">1<' in manager_page
    assert f"Signed in as {sales_rep.username}" in rep_page
    assert f"Signed in as {sales_manager.username}" in manager_page
    # The sign-out form carries each request's own CSRF token.
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', rep_page + manager_page)
    assert len(tokens) == 2 and tokens[0] != tokens[1]


@pytest.mark.django_db
def test_nav_for_and_nav_key_agree(sales_rep, acme_contact):
    for user, path in ((sales_rep, "/sales/quotes/"), (acme_contact, "/portal/quotes/")):
        entries, active = nav_key(user, path)
        items = nav_for(user, path)
        assert [(i["label"], i["url"], i["icon"]) for i in items] == list(entries)
        assert [i["active"] for i in items] == [n == active for n in range(len(entries))]
    # The most specific entry is the active one: Quotes, not My portal.
    assert [i["label"] for i in nav_for(acme_contact, "/portal/quotes/") if i["active"]] == [
        "Quotes"
    ]


@pytest.mark.django_db
def test_a_registered_entry_shows_at_once(sales_rep):
    before = nav_for(sales_rep, "/")
    item = NavItem("Extra", "core:dashboard", "star", frozenset({Role.SALES_REP}), order=99)
    try:
        register_nav_item(item)
        # core:dashboard is already listed ("/"): a second entry for a URL is skipped,
        # so the cache was recomputed and still lists each URL once.
        assert nav_for(sales_rep, "/") == before
        assert navigation._entries.cache_info().currsize == 1
    finally:
        NAV_ITEMS.remove(item)
        navigation._entries.cache_clear()
