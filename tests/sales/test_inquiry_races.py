"""Two identical submissions at the same moment, with real transactions: a CRM retry
racing its first POST, and a double-clicked public form. One inquiry each."""

from __future__ import annotations

import uuid

import pytest

from apps.sales import services
from apps.sales.models import Inquiry
from tests.accounts.test_invitation_race import race

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = {
    "contact_name": "Crm Person",
    "contact_email": "crm@cobalt-mining.example",
    "subject": "Slurry pumps",
    "message": "Six slurry pumps.",
}


def test_a_retry_racing_its_first_post_creates_one_inquiry(sales_rep):
    digest = services.request_digest(FIELDS)

    def post():
        return services.inquiry_create(
            actor=sales_rep, source="api", idempotency_key="crm-77", digest=digest, **FIELDS
        )

    results = race(post, post)
    assert all(isinstance(r, tuple) for r in results), results
    (first, created_a), (second, created_b) = results
    assert first.pk == second.pk and sorted([created_a, created_b]) == [False, True]
    assert Inquiry.objects.count() == 1


def test_a_double_clicked_form_creates_one_inquiry():
    token = uuid.uuid4()

    def submit():
        return services.inquiry_submit_public(form_token=token, company_name="Cobalt", **FIELDS)

    results = race(submit, submit)
    assert all(isinstance(r, tuple) for r in results), results
    assert results[0][0].pk == results[1][0].pk
    assert Inquiry.objects.count() == 1
