"""Builders for inquiries and opportunities (plain functions: tests/sales/conftest.py
re-exports the orders fixtures and stays shared)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from apps.sales import services
from apps.sales.models import Inquiry, Opportunity


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def web_inquiry(**fields) -> Inquiry:
    data = {
        "contact_name": "Dana Field",
        "contact_email": "dana@northwind-water.example",
        "contact_phone": "",
        "company_name": "Northwind Water",
        "subject": "Two dosing skids",
        "message": "We need two chlorine dosing skids for a new plant in spring.",
    }
    data.update(fields)
    inquiry, _ = services.inquiry_submit_public(form_token=uuid.uuid4(), **data)
    return inquiry


def qualifying(inquiry: Inquiry, actor, **sizing) -> Inquiry:
    inquiry = services.inquiry_transition(inquiry=inquiry, name="start_qualifying", actor=actor)
    sizing = {"estimated_value": Decimal("50000"), "expected_close_date": in_days(60), **sizing}
    return services.inquiry_update(inquiry=inquiry, actor=actor, **sizing)


def qualified(inquiry: Inquiry, actor, **sizing) -> Inquiry:
    inquiry = qualifying(inquiry, actor, **sizing)
    return services.inquiry_transition(inquiry=inquiry, name="qualify", actor=actor)


def opportunity(actor, customer, **fields) -> Opportunity:
    data = {
        "title": "Pump skid for the east plant",
        "amount": Decimal("100000"),
        "probability": 40,
        "expected_close_date": in_days(30),
    }
    data.update(fields)
    return services.opportunity_create(actor=actor, customer=customer, **data)
