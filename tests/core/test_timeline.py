from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from apps.core.models import Activity, ActivityKind, Audience
from apps.core.selectors import activities_for
from apps.core.services import activity_record, activity_record_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def timeline(acme, sales_rep):
    return {
        "internal": activity_record(
            target=acme,
            actor=sales_rep,
            verb="comment",
            kind=ActivityKind.COMMENT,
            text="Margin is thin, watch the discount",
            audience=Audience.INTERNAL,
        ),
        "customer": activity_record_transition(
            target=acme,
            actor=sales_rep,
            transition="send",
            from_state="approved",
            to_state="sent",
            comment="Quote sent",
            audience=Audience.CUSTOMER,
        ),
        "supplier": activity_record(
            target=acme,
            actor=sales_rep,
            verb="rfq",
            text="RFQ opened",
            audience=Audience.SUPPLIER,
        ),
    }


def test_entries_are_immutable(timeline):
    entry = timeline["internal"]
    entry.text = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        Activity.objects.filter(pk=entry.pk).update(text="rewritten")
    with pytest.raises(TypeError):
        Activity.objects.filter(pk=entry.pk).delete()
    assert Activity.objects.get(pk=entry.pk).text == "Margin is thin, watch the discount"


def test_internal_staff_read_every_entry(acme, planner, timeline):
    assert set(activities_for(user=planner, target=acme)) == set(timeline.values())


def test_customer_reads_only_customer_entries(acme, acme_contact, timeline):
    assert list(activities_for(user=acme_contact, target=acme)) == [timeline["customer"]]


def test_supplier_reads_only_supplier_entries(acme, delta_contact, timeline):
    assert list(activities_for(user=delta_contact, target=acme)) == [timeline["supplier"]]


def test_transition_entry_records_states_and_actor(timeline, sales_rep):
    entry = timeline["customer"]
    assert (entry.kind, entry.verb, entry.from_state, entry.to_state) == (
        "transition",
        "send",
        "approved",
        "sent",
    )
    assert entry.actor == sales_rep


def test_timeline_partial_hides_internal_entries_from_customers(
    acme, acme_contact, sales_rep, timeline
):
    template = Template("{% load tandem %}{% timeline target %}")
    request = RequestFactory().get("/")

    request.user = acme_contact
    customer_html = template.render(Context({"request": request, "target": acme}))
    assert "Quote sent" in customer_html
    assert "Margin is thin" not in customer_html
    assert "RFQ opened" not in customer_html

    request.user = sales_rep
    staff_html = template.render(Context({"request": request, "target": acme}))
    assert "Margin is thin" in staff_html and "Quote sent" in staff_html
