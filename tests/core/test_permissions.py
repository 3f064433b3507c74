from __future__ import annotations

import pytest
from django.http import Http404

from apps.accounts.models import Organization
from apps.core.models import Activity
from apps.core.permissions import (
    get_visible_or_404,
    grant_org_access,
    revoke_org_access,
    visible_to,
)
from apps.core.services import activity_record

pytestmark = pytest.mark.django_db

# Activity rows stand in for any domain object: they are a real model with a
# `view` permission, so the helpers are exercised exactly as later apps use them.


@pytest.fixture
def entries(kestrel, acme, borealis):
    return {
        "acme": activity_record(target=acme, actor=None, verb="for_acme"),
        "borealis": activity_record(target=borealis, actor=None, verb="for_borealis"),
        "internal": activity_record(target=kestrel, actor=None, verb="internal"),
    }


def test_internal_user_with_view_perm_sees_everything(sales_rep, entries):
    assert set(visible_to(sales_rep, Activity.objects.all())) == set(entries.values())


def test_internal_user_without_view_perm_sees_nothing(kestrel, entries):
    from tests.factories import UserFactory

    roleless = UserFactory(username="roleless", organization=kestrel)
    assert not visible_to(roleless, Activity.objects.all()).exists()


def test_external_contacts_see_only_what_their_organization_was_granted(
    acme, borealis, acme_contact, borealis_contact, entries
):
    grant_org_access(entries["acme"], acme)
    grant_org_access(entries["borealis"], borealis)

    assert list(visible_to(acme_contact, Activity.objects.all())) == [entries["acme"]]
    assert list(visible_to(borealis_contact, Activity.objects.all())) == [entries["borealis"]]


def test_a_grant_covers_every_contact_of_the_organization(acme, acme_contact, entries):
    from tests.factories import UserFactory

    colleague = UserFactory(username="acme.colleague", organization=acme)
    grant_org_access(entries["acme"], acme)
    assert list(visible_to(colleague, Activity.objects.all())) == [entries["acme"]]


def test_model_wide_permission_does_not_leak_to_external_users(acme, acme_contact, entries):
    """Guardian's user shortcut returns every row to a holder of the global perm; ours must not."""
    from django.contrib.auth.models import Permission

    acme_contact.user_permissions.add(Permission.objects.get(codename="view_activity"))
    grant_org_access(entries["acme"], acme)
    fresh = type(acme_contact).objects.get(pk=acme_contact.pk)
    assert list(visible_to(fresh, Activity.objects.all())) == [entries["acme"]]


def test_revoke_removes_access(acme, acme_contact, entries):
    grant_org_access(entries["acme"], acme)
    revoke_org_access(entries["acme"], acme)
    assert not visible_to(acme_contact, Activity.objects.all()).exists()


def test_inactive_organization_or_user_sees_nothing(acme, acme_contact, entries):
    grant_org_access(entries["acme"], acme)
    Organization.objects.filter(pk=acme.pk).update(is_active=False)
    fresh = type(acme_contact).objects.get(pk=acme_contact.pk)
    assert not visible_to(fresh, Activity.objects.all()).exists()

    acme_contact.is_active = False
    assert not visible_to(acme_contact, Activity.objects.all()).exists()


def test_anonymous_sees_nothing(entries):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(AnonymousUser(), Activity.objects.all()).exists()


def test_get_visible_or_404(acme, acme_contact, borealis_contact, entries):
    grant_org_access(entries["acme"], acme)
    qs = Activity.objects.all()
    assert get_visible_or_404(acme_contact, qs, pk=entries["acme"].pk) == entries["acme"]
    with pytest.raises(Http404):
        get_visible_or_404(borealis_contact, qs, pk=entries["acme"].pk)
    with pytest.raises(Http404):
        get_visible_or_404(acme_contact, qs, pk="not-a-number")


def test_grant_to_internal_organization_is_refused(kestrel, entries):
    with pytest.raises(ValueError):
        grant_org_access(entries["internal"], kestrel)


def test_user_without_membership_is_treated_as_external_and_sees_nothing(entries):
    from tests.factories import UserFactory

    loner = UserFactory(username="loner")
    assert loner.is_external
    assert not visible_to(loner, Activity.objects.all()).exists()
