from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import Invitation, Membership, User
from apps.accounts.roles import Role

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "ada.acme",
    "password1": "Pumps-and-valves-2026",
    "password2": "Pumps-and-valves-2026",
}


@pytest.fixture
def invite(acme, sales_rep, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            organization=acme,
            email="Ada@Acme.example",
            first_name="Ada",
            last_name="Lovelace",
            job_title="Process engineer",
            invited_by=sales_rep,
        )
    return invitation


def _link(mailoutbox) -> str:
    return re.search(r"https?://\S+/accounts/invite/\S+/", mailoutbox[-1].body).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_invitation_mails_a_signed_link_after_commit(invite, mailoutbox):
    assert invite.email == "ada@acme.example"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ada@acme.example"]
    assert "Acme Water Utility" in mailoutbox[0].body
    assert "/accounts/invite/" in _link(mailoutbox)


def test_only_internal_staff_with_the_permission_invite(acme, planner, acme_contact):
    for actor in (planner, acme_contact):
        with pytest.raises(PermissionDenied):
            services.invitation_create(
                organization=acme, email="x@acme.example", first_name="X", invited_by=actor
            )


def test_internal_organization_and_existing_email_are_refused(
    kestrel, acme, sales_rep, acme_contact
):
    with pytest.raises(ValidationError):
        services.invitation_create(
            organization=kestrel, email="x@kestrel.example", first_name="X", invited_by=sales_rep
        )
    with pytest.raises(ValidationError):
        services.invitation_create(
            organization=acme,
            email=acme_contact.email.upper(),
            first_name="X",
            invited_by=sales_rep,
        )


def test_valid_link_creates_the_contact_and_signs_in(client, invite, mailoutbox, acme):
    path = _path(_link(mailoutbox))
    page = client.get(path)
    assert page.status_code == 200 and b"Acme Water Utility" in page.content
    res = client.post(path, GOOD)
    assert res.status_code == 302 and res.url == "/"
    user = User.objects.get(username="ada.acme")
    assert user.email == "ada@acme.example" and user.get_full_name() == "Ada Lovelace"
    assert Membership.objects.get(user=user).organization == acme
    assert user.has_role(Role.CUSTOMER_CONTACT) and user.groups.filter(name="org:ACME").exists()
    assert int(client.session["_auth_user_id"]) == user.pk
    invite.refresh_from_db()
    assert invite.accepted_at is not None and invite.user == user


def test_supplier_invitation_gives_the_supplier_role(
    client, delta, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=delta, email="dan@delta.example", first_name="Dan", invited_by=buyer
        )
    client.post(_path(_link(mailoutbox)), {**GOOD, "username": "dan.delta"})
    assert User.objects.get(username="dan.delta").has_role(Role.SUPPLIER_CONTACT)


def test_reused_link_is_refused(client, invite, mailoutbox):
    path = _path(_link(mailoutbox))
    client.post(path, GOOD)
    client.post("/accounts/logout/")
    res = client.get(path)
    assert res.status_code == 410 and b"already been used" in res.content
    res = client.post(path, {**GOOD, "username": "someone.else"})
    assert res.status_code == 410
    assert not User.objects.filter(username="someone.else").exists()


def test_expired_link_is_refused_and_creates_nothing(client, invite, mailoutbox, settings):
    Invitation.objects.filter(pk=invite.pk).update(
        created_at=timezone.now()
        - timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS, minutes=1)
    )
    path = _path(_link(mailoutbox))
    res = client.post(path, GOOD)
    assert res.status_code == 410 and b"expired" in res.content
    assert not User.objects.filter(username="ada.acme").exists()


def test_revoked_link_is_refused(client, invite, mailoutbox, sales_rep):
    services.invitation_revoke(invitation=invite, actor=sales_rep)
    res = client.get(_path(_link(mailoutbox)))
    assert res.status_code == 410 and b"withdrawn" in res.content


def test_tampered_link_is_not_found(client, invite, mailoutbox):
    path = _path(_link(mailoutbox))
    res = client.get(path[:-3] + "xx/")
    assert res.status_code == 404


def test_bad_form_input_shows_inline_errors_and_creates_nothing(
    client, invite, mailoutbox, sales_rep
):
    path = _path(_link(mailoutbox))
    res = client.post(path, {**GOOD, "password2": "something-else-2026"})
    assert res.status_code == 200 and b"do not match" in res.content
    res = client.post(path, {**GOOD, "username": sales_rep.username})
    assert b"This username is taken" in res.content
    res = client.post(path, {**GOOD, "password1": "123", "password2": "123"})
    assert b"is-invalid" in res.content
    assert not User.objects.filter(email="ada@acme.example").exists()
    invite.refresh_from_db()
    assert invite.accepted_at is None


def test_nothing_is_mailed_before_the_commit(
    acme, sales_rep, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invitation_create(
            organization=acme, email="bo@acme.example", first_name="Bo", invited_by=sales_rep
        )
    assert mailoutbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert mailoutbox[0].to == ["bo@acme.example"]


def test_plain_text_mail_is_not_html_escaped(
    acme, sales_rep, django_capture_on_commit_callbacks, mailoutbox
):
    acme.name = "Smith & Sons"
    acme.save()
    sales_rep.first_name, sales_rep.last_name = "Sean", "O'Brien"
    sales_rep.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=acme, email="d@acme.example", first_name="D'Arcy", invited_by=sales_rep
        )
    mail = mailoutbox[0]
    assert mail.subject == "Sean O'Brien invited you to Tandem"
    assert "Hello D'Arcy," in mail.body and "contact of Smith & Sons." in mail.body
    html = mail.alternatives[0][0]
    assert "Smith &amp; Sons" in html


def test_withdrawal_while_the_form_is_open_wins(client, invite, mailoutbox, sales_rep):
    path = _path(_link(mailoutbox))
    assert client.get(path).status_code == 200
    services.invitation_revoke(invitation=invite, actor=sales_rep)
    res = client.post(path, GOOD)
    assert res.status_code == 410 and b"withdrawn" in res.content
    assert not User.objects.filter(username="ada.acme").exists()


def test_link_of_a_deactivated_organization_is_refused(client, invite, mailoutbox, acme):
    acme.is_active = False
    acme.save()
    res = client.post(_path(_link(mailoutbox)), GOOD)
    assert res.status_code == 410
    assert not User.objects.filter(username="ada.acme").exists()


def test_second_invitation_to_the_same_address_cannot_make_a_second_account(
    client, invite, mailoutbox, borealis, sales_rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=borealis, email=invite.email, first_name="Ada", invited_by=sales_rep
        )
    first, second = _path(_link(mailoutbox[:1])), _path(_link(mailoutbox))
    assert client.post(first, GOOD).status_code == 302
    client.post("/accounts/logout/")
    res = client.post(second, {**GOOD, "username": "ada.borealis"})
    assert res.status_code == 410 and b"already uses this e-mail" in res.content
    assert User.objects.filter(email__iexact=invite.email).count() == 1


def test_the_service_itself_validates_username_and_password(invite):
    token = services.invitation_token(invite)
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=token, username="no spaces!", password="123")
    assert set(exc.value.message_dict) == {"username", "password"}
    assert not User.objects.filter(email=invite.email).exists()


def test_only_internal_staff_withdraw_and_never_an_accepted_invitation(
    client, invite, mailoutbox, acme_contact, sales_rep
):
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invite, actor=acme_contact)
    client.post(_path(_link(mailoutbox)), GOOD)
    with pytest.raises(ValidationError):
        services.invitation_revoke(invitation=invite, actor=sales_rep)
    invite.refresh_from_db()
    assert invite.revoked_at is None and invite.accepted_at is not None
