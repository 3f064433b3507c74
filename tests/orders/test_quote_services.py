from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.catalog.models import SupplierPart
from apps.core.concurrency import StaleObjectError
from apps.core.models import Activity
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed, available_transitions
from apps.orders.models import QuoteRevision, QuoteState, ReviewState
from apps.orders.models.rules import SYSTEM
from apps.orders.selectors import quotes_visible_to
from apps.orders.services import quotes as svc
from tests.catalog.factories import BOMLineFactory
from tests.orders.conftest import in_days

pytestmark = pytest.mark.django_db


# -- creating and editing ----------------------------------------------------


def test_create_numbers_quotes_and_fills_defaults(make_quote, acme_addresses):
    first, second = make_quote(), make_quote()
    assert first.number.startswith("Q-") and second.number > first.number
    assert first.shipping_address == acme_addresses["shipping"]
    assert first.state == QuoteState.DRAFT and first.revision == 0


def test_only_sales_create_quotes(planner, acme):
    with pytest.raises(PermissionDenied):
        svc.quote_create(actor=planner, customer=acme)


def test_quote_for_a_supplier_or_with_foreign_address_is_refused(sales_rep, delta, acme, borealis):
    from tests.factories import AddressFactory

    with pytest.raises(ValidationError) as err:
        svc.quote_create(actor=sales_rep, customer=delta)
    assert "customer" in err.value.message_dict
    foreign = AddressFactory(organization=borealis)
    with pytest.raises(ValidationError) as err:
        svc.quote_create(actor=sales_rep, customer=acme, shipping_address=foreign)
    assert "shipping_address" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        svc.quote_create(actor=sales_rep, customer=acme, valid_until=in_days(-1))
    assert "valid_until" in err.value.message_dict


def test_line_prices_configuration_and_promise(make_quote, catalog):
    quote = make_quote(lines=[("skid", 2, {"drive": "vfd"}, 5)])
    line = quote.lines.get()
    # 20 000 + 2 500 VFD = 22 500 list; 5 % discount = 21 375. Rolled-up cost from the
    # BOM: motor 900 + frame 400 + VFD 700 (supplier prices) + assembly (1 h setup + 2 × 3 h)
    # at 80 /h spread over 2 units = 280, so 2 280; margin (21 375 − 2 280) / 21 375.
    assert line.unit_list_price == Decimal("22500.00")
    assert line.unit_price == Decimal("21375.00")
    assert line.line_total == Decimal("42750.00")
    assert line.unit_cost == Decimal("2280.00")
    assert line.margin_percent == Decimal("89.33")
    assert line.configuration == {"drive": "vfd"}
    assert line.feasible_date is not None and quote.feasible_date == line.feasible_date
    assert "in stock" in line.critical_path


def test_quantity_price_break_lowers_the_list_price(make_quote, catalog):
    from apps.catalog.models import ProductPriceBreak

    ProductPriceBreak.objects.create(
        product=catalog["skid"], min_quantity=5, discount_percent=Decimal("10")
    )
    line = make_quote(lines=[("skid", 5, {}, 0)]).lines.get()
    assert line.unit_list_price == Decimal("18000.00")


@pytest.mark.parametrize(
    ("config", "qty", "discount", "field"),
    [
        ({"drive": "turbo"}, 1, 0, "configuration"),
        ({"colour": "red"}, 1, 0, "configuration"),
        ({}, 0, 0, "quantity"),
        ({}, -3, 0, "quantity"),
        ({}, 1, -5, "discount_percent"),
        ({}, 1, 100, "discount_percent"),
    ],
)
def test_bad_lines_are_refused_with_field_errors(
    make_quote, sales_rep, catalog, config, qty, discount, field
):
    quote = make_quote(lines=())
    with pytest.raises(ValidationError) as err:
        svc.quote_line_add(
            quote=quote,
            actor=sales_rep,
            product=catalog["skid"],
            quantity=qty,
            configuration=config,
            discount_percent=discount,
        )
    assert field in err.value.message_dict
    assert not quote.lines.exists()


def test_negative_configured_price_is_refused(make_quote, sales_rep, catalog):
    from tests.catalog.factories import OptionFactory

    OptionFactory(
        group=catalog["dol"].group, code="credit", name="Trade-in", price_delta=Decimal("-50000")
    )
    quote = make_quote(lines=())
    with pytest.raises(ValidationError) as err:
        svc.quote_line_add(
            quote=quote,
            actor=sales_rep,
            product=catalog["skid"],
            quantity=1,
            configuration={"drive": "credit"},
        )
    assert "configuration" in err.value.message_dict


def test_stale_edit_loses_with_a_conflict(make_quote, sales_rep):
    quote = make_quote()
    stale_version = quote.version
    svc.quote_update(quote=quote, actor=sales_rep, expected_version=stale_version, title="First")
    with pytest.raises(StaleObjectError):
        svc.quote_update(
            quote=quote, actor=sales_rep, expected_version=stale_version, title="Second"
        )
    quote.refresh_from_db()
    assert quote.title == "First"


def test_lines_cannot_change_outside_draft(sent_quote, sales_rep, catalog):
    with pytest.raises(TransitionNotAllowed):
        svc.quote_line_add(quote=sent_quote, actor=sales_rep, product=catalog["skid"], quantity=1)


# -- reviews -----------------------------------------------------------------


def test_plain_ato_quote_needs_no_review_and_is_approved_on_submit(make_quote, sales_rep):
    quote = svc.quote_submit(quote=make_quote(), actor=sales_rep)
    assert quote.state == QuoteState.APPROVED
    assert not quote.reviews.exists()
    verbs = list(
        Activity.objects.filter(object_id=str(quote.pk), kind="transition")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["submit", "approve"]


def test_required_reviews_are_derived_from_the_lines(make_quote, sales_rep, catalog):
    quote = make_quote(
        lines=[("dosing", 1, {}, 0), ("skid", 1, {"seal": "custom"}, 15)],
        requested_date=in_days(2),
    )
    BOMLineFactory(product=catalog["cabinet"], component=catalog["pcb"])
    reasons = svc.required_reviews(quote)
    assert set(reasons) == {"engineering", "manufacturing", "pricing"}
    assert any("design-to-order" in r for r in reasons["engineering"])
    assert any("custom specification" in r for r in reasons["engineering"])
    assert any("requested" in r for r in reasons["manufacturing"])
    assert any("exceeds the 10 % limit" in r for r in reasons["pricing"])


def test_manager_discount_limit_is_higher(make_quote, sales_manager):
    quote = make_quote(lines=[("skid", 1, {}, 15)], owner=sales_manager)
    assert "pricing" not in svc.required_reviews(quote)


def test_margin_below_floor_needs_pricing(make_quote):
    # 20 000 list, rolled-up cost 900 + 400 + 4 h × 80 = 1 620: 93 % off gives 1 400 < cost.
    quote = make_quote(lines=[("skid", 1, {}, 93)])
    assert any("below the 20 % floor" in r for r in svc.required_reviews(quote)["pricing"])


def test_purchasing_review_for_unpriced_and_subcontracted_parts(make_quote, catalog, fulcrum):
    BOMLineFactory(product=catalog["cabinet"], component=catalog["pcb"])
    quote = make_quote(lines=[("cabinet", 1, {}, 0)])
    assert any(
        "without a current supplier price" in r for r in svc.required_reviews(quote)["purchasing"]
    )
    from tests.catalog.factories import SupplierPartFactory

    SupplierPartFactory(supplier=fulcrum, part=catalog["pcb"], lead_time_days=21)
    svc.quote_recalculate(quote=quote)
    assert svc.required_reviews(quote)["purchasing"] == [
        "line 10 (Control cabinet) includes subcontracted work"
    ]


def test_review_flow_approves_the_quote_when_the_last_review_approves(
    make_quote, sales_rep, engineer, planner
):
    quote = svc.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    assert quote.state == QuoteState.IN_REVIEW
    eng = quote.reviews.get(department="engineering")
    mfg = quote.reviews.get(department="manufacturing")
    assert planner.notifications.filter(title__contains="Manufacturing review").exists()

    with pytest.raises(TransitionForbidden):
        svc.quote_review_decide(review=eng, actor=planner, decision="approve")
    svc.quote_review_decide(review=eng, actor=engineer, decision="approve")
    quote.refresh_from_db()
    assert quote.state == QuoteState.IN_REVIEW
    svc.quote_review_decide(review=mfg, actor=planner, decision="approve")
    quote.refresh_from_db()
    assert quote.state == QuoteState.APPROVED


def test_rejected_review_keeps_quote_in_review_and_needs_a_reason(make_quote, sales_rep, engineer):
    quote = svc.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    eng = quote.reviews.get(department="engineering")
    with pytest.raises(ValidationError):
        svc.quote_review_decide(review=eng, actor=engineer, decision="reject")
    review = svc.quote_review_decide(
        review=eng,
        actor=engineer,
        decision="request_changes",
        comment="Specify the dosing pump materials",
    )
    assert review.state == ReviewState.CHANGES_REQUESTED
    quote.refresh_from_db()
    assert quote.state == QuoteState.IN_REVIEW
    with pytest.raises(TransitionNotAllowed) as err:
        svc.quote_approve(quote=quote, actor=sales_rep)
    assert "every required review must be approved" in err.value.message
    # Revising starts a new revision with fresh reviews.
    quote = svc.quote_revise(quote=quote, actor=sales_rep, comment="Materials specified")
    quote = svc.quote_submit(quote=quote, actor=sales_rep)
    assert quote.reviews.filter(revision=1, state=ReviewState.REQUESTED).count() == 2


def test_review_cannot_be_decided_on_an_old_revision(make_quote, sales_rep, engineer):
    quote = svc.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    eng = quote.reviews.get(department="engineering")
    svc.quote_revise(quote=quote, actor=sales_rep)
    with pytest.raises(TransitionNotAllowed):
        svc.quote_review_decide(review=eng, actor=engineer, decision="approve")


# -- the quote state machine -------------------------------------------------


def test_submit_without_lines_is_refused(make_quote, sales_rep):
    with pytest.raises(TransitionNotAllowed) as err:
        svc.quote_submit(quote=make_quote(lines=()), actor=sales_rep)
    assert "no lines" in err.value.message


def test_send_grants_the_customer_and_mails_the_contact(
    make_quote,
    sales_rep,
    acme_contact,
    borealis_contact,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    quote = svc.quote_submit(quote=make_quote(contact=acme_contact), actor=sales_rep)
    assert not quotes_visible_to(acme_contact).exists()
    with django_capture_on_commit_callbacks(execute=True):
        quote = svc.quote_send(quote=quote, actor=sales_rep)
    assert list(quotes_visible_to(acme_contact)) == [quote]
    assert not quotes_visible_to(borealis_contact).exists()
    assert mailoutbox[0].to == [acme_contact.email]
    assert quote.number in mailoutbox[0].subject


def test_customer_accepts_own_quote_but_not_another_customers(
    sent_quote, acme_contact, borealis_contact
):
    with pytest.raises(TransitionForbidden):
        svc.quote_accept(quote=sent_quote, actor=borealis_contact)
    quote = svc.quote_accept(quote=sent_quote, actor=acme_contact)
    assert quote.state == QuoteState.ACCEPTED


def test_customer_declines(sent_quote, acme_contact):
    assert svc.quote_decline(quote=sent_quote, actor=acme_contact).state == QuoteState.DECLINED


def test_customer_cannot_accept_an_expired_quote(sent_quote, acme_contact):
    from apps.orders.models import Quote

    Quote.objects.filter(pk=sent_quote.pk).update(valid_until=in_days(-1))
    with pytest.raises(TransitionNotAllowed):
        svc.quote_accept(quote=sent_quote, actor=acme_contact)


def test_only_the_system_expires_and_only_past_validity(sent_quote, sales_manager):
    from apps.orders.models import Quote

    with pytest.raises(TransitionNotAllowed):
        svc.quote_expire(quote=sent_quote)  # still valid
    Quote.objects.filter(pk=sent_quote.pk).update(valid_until=in_days(-1))
    from apps.core.transitions import run_transition

    with pytest.raises(TransitionForbidden):
        run_transition(obj=sent_quote, name="expire", actor=sales_manager)
    assert svc.quote_expire(quote=sent_quote).state == QuoteState.EXPIRED


def test_expire_task_expires_only_overdue_sent_quotes(sent_quote, make_quote, sales_rep):
    from apps.orders.models import Quote
    from apps.orders.tasks import expire_quotes

    draft = make_quote()
    Quote.objects.filter(pk__in=[sent_quote.pk, draft.pk]).update(valid_until=in_days(-1))
    assert expire_quotes() == 1
    sent_quote.refresh_from_db()
    draft.refresh_from_db()
    assert (sent_quote.state, draft.state) == (QuoteState.EXPIRED, QuoteState.DRAFT)


@pytest.mark.parametrize("state_path", [(), ("submit",), ("submit", "send")])
def test_revise_snapshots_an_immutable_revision(make_quote, sales_rep, state_path):
    quote = make_quote()
    for step in state_path:
        quote = getattr(svc, f"quote_{step}")(quote=quote, actor=sales_rep)
    if not state_path:
        with pytest.raises(TransitionNotAllowed):
            svc.quote_revise(quote=quote, actor=sales_rep)
        return
    quote = svc.quote_revise(quote=quote, actor=sales_rep, comment="Customer asked for VFD")
    assert (quote.state, quote.revision) == (QuoteState.DRAFT, 1)
    rev = QuoteRevision.objects.get(quote=quote)
    assert rev.number == 0 and rev.snapshot["lines"][0]["product"] == "SKID"
    rev.reason = "rewritten"
    with pytest.raises(TypeError):
        rev.save()
    with pytest.raises(TypeError):
        rev.delete()


@pytest.mark.parametrize("state_path", [(), ("submit",), ("submit", "send")])
def test_cancel_from_each_open_state(make_quote, sales_rep, state_path):
    quote = make_quote()
    for step in state_path:
        quote = getattr(svc, f"quote_{step}")(quote=quote, actor=sales_rep)
    assert svc.quote_cancel(quote=quote, actor=sales_rep).state == QuoteState.CANCELLED


def test_cancel_refused_after_acceptance(accepted_quote, sales_rep):
    with pytest.raises(TransitionNotAllowed) as err:
        svc.quote_cancel(quote=accepted_quote, actor=sales_rep)
    assert err.value.allowed == ["convert"]


def test_non_sales_roles_cannot_move_quotes(make_quote, planner, finance):
    quote = make_quote()
    for actor in (planner, finance):
        with pytest.raises(TransitionForbidden):
            svc.quote_submit(quote=quote, actor=actor)


def test_send_refused_in_draft_and_available_transitions_follow_role(
    make_quote, sales_rep, planner
):
    quote = make_quote()
    with pytest.raises(TransitionNotAllowed) as err:
        svc.quote_send(quote=quote, actor=sales_rep)
    assert err.value.allowed == ["cancel", "submit"]
    assert available_transitions(quote, planner) == []
    assert "expire" not in available_transitions(quote, SYSTEM)


def test_stale_transition_is_refused(make_quote, sales_rep):
    quote = make_quote()
    with pytest.raises(StaleObjectError):
        svc.quote_submit(quote=quote, actor=sales_rep, expected_version=quote.version - 1)
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT


def test_transition_writes_one_audit_entry_with_states(make_quote, sales_rep):
    quote = make_quote()
    svc.quote_submit(quote=quote, actor=sales_rep, comment="Ready")
    entry = Activity.objects.filter(object_id=str(quote.pk), verb="submit").get()
    assert (entry.from_state, entry.to_state, entry.actor, entry.text) == (
        "draft",
        "in_review",
        sales_rep,
        "Ready",
    )


def test_no_current_supplier_price_when_expired(catalog, make_quote):
    SupplierPart.objects.filter(part=catalog["motor"]).update(valid_until=dt.date(2020, 1, 1))
    from apps.catalog.models import StockEntry

    StockEntry.objects.filter(part=catalog["motor"]).delete()
    quote = make_quote()
    assert "purchasing" in svc.required_reviews(quote)


def test_overdue_reviews_remind_their_group_once_a_day(make_quote, sales_rep, engineer, planner):
    from apps.orders.models import QuoteReview
    from apps.orders.tasks import remind_overdue_reviews

    quote = svc.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    assert remind_overdue_reviews() == 0  # not due yet
    QuoteReview.objects.filter(quote=quote).update(due_date=in_days(-2))
    assert remind_overdue_reviews() == 2
    assert engineer.notifications.filter(title__startswith="Overdue: Engineering").count() == 1
    assert planner.notifications.filter(title__startswith="Overdue: Manufacturing").count() == 1
    assert remind_overdue_reviews() == 0  # already reminded today


def test_review_reject_is_recorded(make_quote, sales_rep, engineer):
    quote = svc.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    review = svc.quote_review_decide(
        review=quote.reviews.get(department="engineering"),
        actor=engineer,
        decision="reject",
        comment="Cannot meet ATEX zone 1",
    )
    assert (review.state, review.decided_by, review.comment) == (
        ReviewState.REJECTED,
        engineer,
        "Cannot meet ATEX zone 1",
    )
    assert sales_rep.notifications.filter(title__contains="review rejected").exists()
    with pytest.raises(ValidationError):
        svc.quote_review_decide(review=review, actor=engineer, decision="maybe")


def test_grants_use_the_direct_foreign_key_tables(sent_quote, order):
    from guardian.models import GroupObjectPermission

    from apps.orders.models import QuoteGroupObjectPermission, SalesOrderGroupObjectPermission

    assert QuoteGroupObjectPermission.objects.filter(content_object=sent_quote).exists()
    assert SalesOrderGroupObjectPermission.objects.filter(content_object=order).exists()
    assert not GroupObjectPermission.objects.filter(content_type__app_label="orders").exists()


# -- nobody reviews their own quote --------------------------------------------


def test_a_sales_manager_cannot_decide_the_pricing_review_of_her_own_quote(
    make_quote, sales_manager, kestrel
):
    from apps.accounts.roles import Role
    from tests.factories import UserFactory

    other_manager = UserFactory(
        username="other.manager", organization=kestrel, roles=[Role.SALES_MANAGER]
    )
    quote = make_quote(lines=[("skid", 1, {}, 40)], owner=sales_manager)  # beyond her 15 %
    quote = svc.quote_submit(quote=quote, actor=sales_manager)
    pricing = quote.reviews.get(department="pricing")
    # The request goes to another holder of the role, not to her.
    assert other_manager.notifications.filter(title__contains="Pricing review").exists()
    assert not sales_manager.notifications.filter(title__contains="Pricing review").exists()
    assert available_transitions(pricing, sales_manager) == []

    with pytest.raises(TransitionForbidden) as err:
        svc.quote_review_decide(review=pricing, actor=sales_manager, decision="approve")
    assert err.value.message == (
        f"You own or created {quote.number}: another sales manager must decide its pricing review."
    )
    pricing.refresh_from_db()
    assert pricing.state == ReviewState.REQUESTED

    svc.quote_review_decide(review=pricing, actor=other_manager, decision="approve")
    quote.refresh_from_db()
    assert quote.state == QuoteState.APPROVED


def test_the_creator_of_a_quote_cannot_review_it_after_handing_it_over(
    make_quote, sales_manager, sales_rep
):
    from apps.orders.models import Quote

    quote = make_quote(lines=[("skid", 1, {}, 40)], owner=sales_manager)
    Quote.objects.filter(pk=quote.pk).update(owner=sales_rep)
    quote = svc.quote_submit(quote=Quote.objects.get(pk=quote.pk), actor=sales_rep)
    pricing = quote.reviews.get(department="pricing")
    with pytest.raises(TransitionForbidden, match="You own or created"):
        svc.quote_review_decide(
            review=pricing, actor=sales_manager, decision="reject", comment="no"
        )


# -- copy as new quote -------------------------------------------------------------


@pytest.fixture
def expired_quote(make_quote, sales_rep, catalog):
    from apps.orders.models import Quote

    quote = make_quote(
        lines=[("skid", 2, {"drive": "vfd"}, 5)],
        title="Pump station 4",
        terms="Net 30",
        requested_date=in_days(10),
    )
    line = quote.lines.get()
    QuoteLine = type(line)
    QuoteLine.objects.filter(pk=line.pk).update(scope_statement="Install and train")
    quote = svc.quote_send(quote=svc.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)
    Quote.objects.filter(pk=quote.pk).update(valid_until=in_days(-1), requested_date=in_days(-2))
    return svc.quote_expire(quote=Quote.objects.get(pk=quote.pk))


def test_an_expired_quote_is_copied_as_a_new_draft_with_fresh_prices_and_dates(
    expired_quote, sales_rep, catalog
):
    catalog["skid"].base_price = Decimal("21000")
    catalog["skid"].save()
    copy = svc.quote_copy(quote=expired_quote, actor=sales_rep)
    assert copy.state == QuoteState.DRAFT and copy.number != expired_quote.number
    assert copy.copied_from == expired_quote and copy.customer == expired_quote.customer
    assert (copy.title, copy.terms) == ("Pump station 4", "Net 30")
    assert copy.valid_until > timezone.localdate() and copy.requested_date is None
    line = copy.lines.get()
    assert (line.quantity, line.configuration, line.discount_percent) == (
        2,
        {"drive": "vfd"},
        Decimal("5.00"),
    )
    assert line.scope_statement == "Install and train"
    # Today's list: 21 000 + 2 500, less 5 %.
    assert line.unit_list_price == Decimal("23500.00") and line.unit_price == Decimal("22325.00")
    assert line.feasible_date is not None and copy.feasible_date is not None  # re-promised
    texts = lambda q: list(  # noqa: E731
        Activity.objects.filter(object_id=str(q.pk)).values_list("text", flat=True)
    )
    assert any(f"Copied from {expired_quote.number} (expired)" in t for t in texts(copy))
    assert any(f"Copied as new quote {copy.number}" in t for t in texts(expired_quote))
    expired_quote.refresh_from_db()
    assert expired_quote.state == QuoteState.EXPIRED


def test_a_declined_quote_can_be_copied_but_not_an_open_one(
    sent_quote, make_quote, sales_rep, acme_contact, planner
):
    with pytest.raises(TransitionNotAllowed, match="Only expired or declined quotes"):
        svc.quote_copy(quote=sent_quote, actor=sales_rep)
    with pytest.raises(TransitionNotAllowed):
        svc.quote_copy(quote=make_quote(), actor=sales_rep)
    declined = svc.quote_decline(quote=sent_quote, actor=acme_contact, comment="Too dear")
    with pytest.raises(TransitionForbidden, match="Only sales may copy"):
        svc.quote_copy(quote=declined, actor=planner)
    with pytest.raises(TransitionForbidden):
        svc.quote_copy(quote=declined, actor=acme_contact)
    assert svc.quote_copy(quote=declined, actor=sales_rep).lines.count() == 1


def test_a_copy_of_a_product_no_longer_sold_is_refused(expired_quote, sales_rep, catalog):
    from apps.orders.models import Quote

    catalog["skid"].is_active = False
    catalog["skid"].save()
    before = Quote.objects.count()
    with pytest.raises(ValidationError) as err:
        svc.quote_copy(quote=expired_quote, actor=sales_rep)
    assert "No longer sold" in err.value.message_dict["lines"][0]
    assert Quote.objects.count() == before
