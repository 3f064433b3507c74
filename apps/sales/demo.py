"""Inquiries in several states and opportunities in every stage for the demo. Idempotent.

Made through the services people use (timelines and e-mails are real). Each
inquiry is found again by its subject and each opportunity by its title, so a
second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from apps.orders import demo as orders_demo
from apps.orders.services import quotes as q
from apps.sales import services
from apps.sales.models import Inquiry, InquirySource, Opportunity

# A fixed namespace: the demo's web inquiries get the same one-time tokens every run.
_TOKENS = uuid.UUID("5b1d3c1e-8f0a-4b6e-9a57-0c3f4d2e1a90")


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


INQUIRIES = [
    # subject, state, source, contact, e-mail, company, message, value, close in days
    (
        "Stainless pump skid for a CIP line",
        "new",
        InquirySource.WEB,
        "Hannah Ortiz",
        "h.ortiz@harbordairy.example",
        "Harbor Dairy Co-op",
        "We are replacing the CIP supply pumps on line 2. Sanitary design, 15 m³/h at "
        "4 bar, VFD. Delivery before the summer shutdown.",
        None,
        None,
    ),
    (
        "Brine dosing for winter road treatment",
        "qualifying",
        InquirySource.WEB,
        "Marcus Webb",
        "m.webb@ridgewaycounty.example",
        "Ridgeway County Public Works",
        "Two brine dosing units for our salt domes, with remote level monitoring.",
        Decimal("68000"),
        75,
    ),
    (
        "Second dosing line for the brewhouse",
        "qualified",
        InquirySource.MANUAL,
        "Lena Berg",
        "lena.berg@borealis.example",
        "Borealis Brewing",
        "Phone call: they want the dosing system they run in the cellar for the new "
        "brewhouse, same controls.",
        Decimal("145000"),
        45,
    ),
    (
        "Spare impeller sets and a standby pump",
        "qualified",
        InquirySource.API,
        "CRM integration",
        "procurement@cobalt.example",
        "Cobalt Mining",
        "Created by the CRM from a tender notice: six impeller sets and one standby "
        "slurry pump for the concentrator.",
        Decimal("38000"),
        100,
    ),
    (
        "Pump for a student design project",
        "disqualified",
        InquirySource.WEB,
        "Sam Lee",
        "sam.lee@gmail.com",
        "",
        "Can you send us a free small pump for our senior design project?",
        None,
        None,
    ),
    (
        "Boost your website ranking today",
        "spam",
        InquirySource.WEB,
        "Best SEO",
        "offers@seo-deals.example",
        "SEO Deals",
        "We can put your company on the first page of every search engine.",
        None,
        None,
    ),
    (
        "Filter backwash pumps for plant 3",
        "converted",
        InquirySource.WEB,
        "Priya Nair",
        "p.nair@acme.example",
        "Acme Water Utility",
        "Three backwash pumps with VFDs for the new filter gallery at plant 3.",
        Decimal("96000"),
        60,
    ),
]

WORKFLOW = {
    "new": [],
    "qualifying": ["start_qualifying"],
    "qualified": ["start_qualifying", "qualify"],
    "converted": ["start_qualifying", "qualify", "convert"],
    "disqualified": ["disqualify"],
    "spam": ["mark_spam"],
}
COMMENTS = {
    "disqualify": "Not a commercial project; answered with our student resources page.",
    "mark_spam": "Marketing offer.",
    "qualify": "Budget confirmed on the call.",
    "convert": "Opportunity opened.",
}


def _inquiry(spec, users) -> Inquiry:
    subject, state, source, name, email, company, message, value, close = spec
    existing = Inquiry.objects.filter(subject=subject).first()
    if existing is not None:
        return existing
    sam = users["sam.sales"]
    fields = {
        "contact_name": name,
        "contact_email": email,
        "company_name": company,
        "subject": subject,
        "message": message,
    }
    if source == InquirySource.WEB:
        inquiry, _ = services.inquiry_submit_public(
            form_token=uuid.uuid5(_TOKENS, subject), contact_phone="", **fields
        )
    else:
        inquiry, _ = services.inquiry_create(actor=sam, source=source, owner=sam, **fields)
    for name_ in WORKFLOW[state]:
        if name_ == "qualify":
            inquiry = services.inquiry_update(
                inquiry=inquiry,
                actor=sam,
                owner=sam,
                estimated_value=value,
                expected_close_date=_days(close),
            )
        services.inquiry_transition(
            inquiry=inquiry, name=name_, actor=sam, comment=COMMENTS.get(name_, "")
        )
        inquiry = Inquiry.objects.get(pk=inquiry.pk)
    if state == "qualifying":
        inquiry = services.inquiry_update(
            inquiry=inquiry, actor=sam, owner=sam, estimated_value=value
        )
    return inquiry


OPPORTUNITIES = [
    # title, customer, stage, amount, probability, close in days
    ("Cooling tower make-up pumps", "BOREALIS", "open", Decimal("54000"), 30, 50),
    ("Slurry skid upgrade", "COBALT", "quoting", Decimal("210000"), 55, 35),
    ("Cellar dosing system retrofit", "BOREALIS", "won", Decimal("88000"), 80, -5),
    ("Emergency standby pumps", "ACME", "lost", Decimal("47000"), 25, 20),
]


def _opportunity(spec, users, orgs, products) -> Opportunity:
    title, customer, stage, amount, probability, close = spec
    existing = Opportunity.objects.filter(title=title).first()
    if existing is not None:
        return existing
    sam = users["sam.sales"]
    opp = services.opportunity_create(
        actor=sam,
        customer=orgs[customer],
        title=title,
        amount=amount,
        probability=probability,
        expected_close_date=_days(close),
    )
    if stage in ("quoting", "won"):
        quote = services.opportunity_quote_create(opportunity=opp, actor=sam)
        q.quote_line_add(
            quote=quote,
            actor=sam,
            product=products["skid"],
            quantity=2,
            configuration={"motor": "7_5kw", "drive": "vfd"},
            discount_percent=Decimal("0"),
        )
        if stage == "won":
            quote = orders_demo._sent(q.quote_refresh_totals(quote=quote), users)
            buyer = users[f"{customer.lower()}.buyer"]
            quote = q.quote_accept(quote=quote, actor=buyer, comment="Approved by the board.")
            # The signal wins it after commit too; doing it now keeps the demo one transaction.
            services.opportunity_win_for_quote(quote=quote)
    if stage == "lost":
        services.opportunity_transition(
            opportunity=opp,
            name="lose",
            actor=sam,
            comment="They repaired the old pumps instead.",
        )
    return Opportunity.objects.get(pk=opp.pk)


def seed(users: dict, orgs: dict, products: dict) -> dict:
    inquiries = [_inquiry(spec, users) for spec in INQUIRIES]
    opportunities = [_opportunity(spec, users, orgs, products) for spec in OPPORTUNITIES]
    return {"inquiries": inquiries, "opportunities": opportunities}
