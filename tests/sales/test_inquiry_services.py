"""Inquiry workflow: every allowed and refused transition, conversion with the
customer matched or created, the public form's one-time token, idempotency."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts.models import Organization, OrganizationKind
from apps.core.concurrency import StaleObjectError
from apps.core.models import Activity, ActivityKind
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed
from apps.sales import services
from apps.sales.models import Inquiry, InquirySource, InquiryState, Opportunity
from tests.factories import OrganizationFactory, UserFactory
from tests.sales.sales_helpers import in_days, qualified, qualifying, web_inquiry

pytestmark = pytest.mark.django_db


def _at(state: str, actor) -> Inquiry:
    inquiry = web_inquiry()
    if state == InquiryState.NEW:
        return inquiry
    if state == InquiryState.QUALIFYING:
        return qualifying(inquiry, actor)
    if state == InquiryState.QUALIFIED:
        return qualified(inquiry, actor)
    name = {
        InquiryState.CONVERTED: "convert",
        InquiryState.DISQUALIFIED: "disqualify",
        InquiryState.SPAM: "mark_spam",
    }[state]
    if name == "convert":
        inquiry = qualified(inquiry, actor)
    services.inquiry_transition(inquiry=inquiry, name=name, actor=actor, comment="Not for us.")
    return Inquiry.objects.get(pk=inquiry.pk)


ALLOWED = {
    InquiryState.NEW: {"start_qualifying", "disqualify", "mark_spam"},
    InquiryState.QUALIFYING: {"qualify", "disqualify", "mark_spam"},
    InquiryState.QUALIFIED: {"convert"},
    InquiryState.CONVERTED: set(),
    InquiryState.DISQUALIFIED: set(),
    InquiryState.SPAM: set(),
}
TARGET = {
    "start_qualifying": InquiryState.QUALIFYING,
    "qualify": InquiryState.QUALIFIED,
    "convert": InquiryState.CONVERTED,
    "disqualify": InquiryState.DISQUALIFIED,
    "mark_spam": InquiryState.SPAM,
}
CASES = [(state, name) for state in ALLOWED for name in TARGET]


@pytest.mark.parametrize(("state", "name"), CASES)
def test_every_transition_from_every_state(state, name, sales_rep):
    inquiry = _at(state, sales_rep)
    if name in ALLOWED[state]:
        services.inquiry_transition(
            inquiry=inquiry, name=name, actor=sales_rep, comment="Budget is real."
        )
        inquiry.refresh_from_db()
        assert inquiry.state == TARGET[name]
        entry = Activity.objects.filter(object_id=str(inquiry.pk), verb=name).get()
        assert (entry.kind, entry.from_state, entry.to_state) == (
            ActivityKind.TRANSITION,
            state,
            TARGET[name],
        )
        assert entry.actor == sales_rep
    else:
        with pytest.raises(TransitionNotAllowed) as exc:
            services.inquiry_transition(inquiry=inquiry, name=name, actor=sales_rep, comment="x")
        assert f"that is {state}" in exc.value.message
        assert Inquiry.objects.get(pk=inquiry.pk).state == state


@pytest.mark.parametrize("role", ["engineer", "finance", "planner"])
def test_other_staff_may_not_move_inquiries(role, request):
    actor = request.getfixturevalue(role)
    inquiry = web_inquiry()
    with pytest.raises(TransitionForbidden, match="You may not start qualifying"):
        services.inquiry_transition(inquiry=inquiry, name="start_qualifying", actor=actor)
    with pytest.raises(PermissionDenied):
        services.inquiry_update(inquiry=inquiry, actor=actor, company_name="X")


def test_qualify_names_each_missing_fact(sales_rep):
    inquiry = web_inquiry(company_name="")
    inquiry = services.inquiry_transition(inquiry=inquiry, name="start_qualifying", actor=sales_rep)
    with pytest.raises(TransitionNotAllowed) as exc:
        services.inquiry_transition(inquiry=inquiry, name="qualify", actor=sales_rep)
    assert exc.value.message == (
        "Cannot qualify yet: the company is not named yet (edit the inquiry); "
        "it has no estimated value yet (edit the inquiry); "
        "it has no expected close date yet (edit the inquiry)."
    )
    services.inquiry_update(
        inquiry=inquiry,
        actor=sales_rep,
        company_name="Northwind Water",
        estimated_value=Decimal("1000"),
        expected_close_date=in_days(10),
    )
    inquiry = services.inquiry_transition(inquiry=inquiry, name="qualify", actor=sales_rep)
    assert inquiry.state == InquiryState.QUALIFIED


def test_disqualify_needs_a_reason(sales_rep):
    inquiry = web_inquiry()
    with pytest.raises(ValidationError, match="Say why"):
        services.inquiry_transition(inquiry=inquiry, name="disqualify", actor=sales_rep)
    assert Inquiry.objects.get(pk=inquiry.pk).state == InquiryState.NEW


def test_a_stale_version_is_refused(sales_rep):
    inquiry = web_inquiry()
    with pytest.raises(StaleObjectError):
        services.inquiry_transition(
            inquiry=inquiry, name="start_qualifying", actor=sales_rep, expected_version=99
        )
    services.inquiry_update(inquiry=inquiry, actor=sales_rep, company_name="Renamed Water")
    with pytest.raises(StaleObjectError):
        services.inquiry_update(
            inquiry=inquiry, actor=sales_rep, expected_version=1, company_name="Again"
        )


# -- conversion: the customer matched or created ---------------------------------------


def test_convert_creates_the_customer_when_nothing_matches(sales_rep, acme):
    inquiry = qualified(web_inquiry(), sales_rep)
    opp = services.inquiry_convert(inquiry=inquiry, actor=sales_rep)
    customer = opp.customer
    assert (customer.name, customer.kind) == ("Northwind Water", OrganizationKind.CUSTOMER)
    assert customer.email == "dana@northwind-water.example"
    assert customer.group is not None  # its future contacts get their portal grants
    assert (opp.amount, opp.currency, opp.probability, opp.owner) == (
        Decimal("50000.00"),
        "USD",
        20,
        sales_rep,
    )
    assert opp.expected_close_date == in_days(60)
    inquiry.refresh_from_db()
    assert (inquiry.state, inquiry.customer, inquiry.opportunity) == ("converted", customer, opp)


@pytest.mark.parametrize(
    "spelling", ["acme water utility", "ACME WATER UTILITY", " Acme  Water Utility "]
)
def test_convert_matches_the_customer_by_name_case_insensitively(spelling, sales_rep, acme):
    inquiry = qualified(web_inquiry(company_name=spelling), sales_rep)
    before = Organization.objects.count()
    opp = services.inquiry_convert(inquiry=inquiry, actor=sales_rep)
    assert opp.customer == acme
    assert Organization.objects.count() == before


def test_convert_matches_by_the_e_mail_domain_of_the_customer_or_its_contacts(
    sales_rep, acme, borealis
):
    acme.email = "Purchasing@Acme-Water.example"
    acme.save()
    UserFactory(username="bo.buyer", email="bo@Borealis-Brew.example", organization=borealis)
    a = qualified(
        web_inquiry(company_name="Acme Water (east)", contact_email="x@ACME-water.example"),
        sales_rep,
    )
    b = qualified(
        web_inquiry(company_name="Borealis Kitchens", contact_email="y@borealis-brew.example"),
        sales_rep,
    )
    assert services.inquiry_convert(inquiry=a, actor=sales_rep).customer == acme
    assert services.inquiry_convert(inquiry=b, actor=sales_rep).customer == borealis


def test_a_free_mail_domain_never_matches(sales_rep, acme):
    UserFactory(username="acme.gmail", email="someone@gmail.com", organization=acme)
    inquiry = qualified(
        web_inquiry(company_name="Home Brewer", contact_email="me@gmail.com"), sales_rep
    )
    opp = services.inquiry_convert(inquiry=inquiry, actor=sales_rep)
    assert opp.customer.name == "Home Brewer"
    assert opp.customer.email == ""


def test_a_supplier_of_that_name_is_refused_with_the_reason(sales_rep, delta):
    inquiry = qualified(web_inquiry(company_name="delta motors"), sales_rep)
    with pytest.raises(ValidationError, match="is a supplier, not a customer"):
        services.inquiry_convert(inquiry=inquiry, actor=sales_rep)
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.QUALIFIED
    assert not Opportunity.objects.exists()


def test_created_customer_codes_stay_unique(sales_rep):
    OrganizationFactory(code="NORTHWINDWAT", name="Other", kind=OrganizationKind.CUSTOMER)
    opp = services.inquiry_convert(inquiry=qualified(web_inquiry(), sales_rep), actor=sales_rep)
    assert opp.customer.code == "NORTHWINDWAT2"


# -- the public form's one-time token and the sales e-mail ------------------------------


def test_a_second_post_of_one_form_returns_the_first_inquiry(sales_rep, sales_manager, engineer):
    token = uuid.uuid4()
    data = {
        "contact_name": "Dana",
        "contact_email": "dana@northwind-water.example",
        "contact_phone": "",
        "company_name": "Northwind",
        "subject": "Skids",
        "message": "Two skids please, for spring.",
    }
    first, created = services.inquiry_submit_public(form_token=token, **data)
    again, created_again = services.inquiry_submit_public(form_token=token, **data)
    assert (created, created_again, again) == (True, False, first)
    assert Inquiry.objects.count() == 1
    assert first.source == InquirySource.WEB and first.created_by is None


def test_the_sales_group_is_told_after_commit(
    sales_rep, sales_manager, engineer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        inquiry = web_inquiry()
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    (message,) = mail.outbox
    assert sorted(message.to) == sorted([sales_rep.email, sales_manager.email])
    assert inquiry.number in message.subject
    assert f"/sales/inquiries/{inquiry.pk}/" in message.body


# -- idempotency (the API's Idempotency-Key) --------------------------------------------


def _fields(**extra):
    return {
        "contact_name": "Crm Person",
        "contact_email": "crm@cobalt-mining.example",
        "subject": "Slurry pumps",
        "message": "Six slurry pumps.",
        **extra,
    }


def test_a_retry_with_the_same_key_returns_the_first(sales_rep):
    digest = services.request_digest(_fields())
    first, created = services.inquiry_create(
        actor=sales_rep, source="api", idempotency_key="k-1", digest=digest, **_fields()
    )
    again, created_again = services.inquiry_create(
        actor=sales_rep, source="api", idempotency_key="k-1", digest=digest, **_fields()
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Inquiry.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(sales_rep):
    services.inquiry_create(
        actor=sales_rep,
        idempotency_key="k-1",
        digest=services.request_digest(_fields()),
        **_fields(),
    )
    other = _fields(subject="Something else")
    with pytest.raises(services.IdempotencyConflict, match="different request body"):
        services.inquiry_create(
            actor=sales_rep, idempotency_key="k-1", digest=services.request_digest(other), **other
        )
    assert Inquiry.objects.count() == 1


def test_keys_are_per_caller(sales_rep, sales_manager):
    digest = services.request_digest(_fields())
    a, _ = services.inquiry_create(actor=sales_rep, idempotency_key="k", digest=digest, **_fields())
    b, _ = services.inquiry_create(
        actor=sales_manager, idempotency_key="k", digest=digest, **_fields()
    )
    assert a.pk != b.pk


def test_only_sales_enter_inquiries(engineer):
    with pytest.raises(PermissionDenied):
        services.inquiry_create(actor=engineer, **_fields())
