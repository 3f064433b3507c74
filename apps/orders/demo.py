"""Quotes, orders and change requests in every state for the demo. Idempotent.

Every object is made through the same services people use, so the timelines,
reviews, grants and e-mails are real. Each demo quote carries a customer
reference "DEMO-…" and is only created when that reference does not exist yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from apps.core.comments import comment_post
from apps.core.models import Audience
from apps.orders import demo_slips, replan
from apps.orders.models import PlanRun, Quote, SalesOrder
from apps.orders.services import changes as cr
from apps.orders.services import orders as so
from apps.orders.services import quotes as q
from apps.orders.services import trackers

ORDER_PATHS = {
    "pending": [],
    "confirmed": ["confirm"],
    "planned": ["confirm", "plan"],
    "in_production": ["confirm", "plan", "start_production"],
    "ready_to_ship": ["confirm", "plan", "start_production", "mark_ready_to_ship"],
    "partially_shipped": [
        "confirm",
        "plan",
        "start_production",
        "mark_ready_to_ship",
        "ship_partially",
    ],
    "shipped": ["confirm", "plan", "start_production", "mark_ready_to_ship", "ship"],
    "delivered": ["confirm", "plan", "start_production", "mark_ready_to_ship", "ship", "deliver"],
    "closed": [
        "confirm",
        "plan",
        "start_production",
        "mark_ready_to_ship",
        "ship",
        "deliver",
        "close",
    ],
    "on_hold": ["confirm", "plan", "hold"],
    "cancelled": ["confirm", "cancel"],
}
ACTOR_FOR = {
    "confirm": "maria.manager",
    "plan": "pat.planner",
    "start_production": "pat.planner",
    "mark_ready_to_ship": "quinn.quality",
    "ship_partially": "wes.warehouse",
    "ship": "wes.warehouse",
    "deliver": "wes.warehouse",
    "close": "fiona.finance",
    "hold": "fiona.finance",
    "cancel": "maria.manager",
    "start_design": "erin.engineer",
    "plan_after_design": "pat.planner",
}


def _quote(users, orgs, products, ref, customer, lines, **fields):
    existing = Quote.objects.filter(customer_reference=ref).first()
    if existing:
        return existing, False
    sam = users["sam.sales"]
    contact = users[f"{customer.lower()}.buyer"]
    quote = q.quote_create(
        actor=sam, customer=orgs[customer], contact=contact, customer_reference=ref, **fields
    )
    for key, qty, config, discount, extra in lines:
        q.quote_line_add(
            quote=quote,
            actor=sam,
            product=products[key],
            quantity=qty,
            configuration=config,
            discount_percent=discount,
            **extra,
        )
    return Quote.objects.get(pk=quote.pk), True


def _approve_reviews(quote, users):
    by_dept = {
        "engineering": "erin.engineer",
        "manufacturing": "pat.planner",
        "purchasing": "bob.buyer",
        "pricing": "maria.manager",
    }
    for review in quote.reviews.filter(revision=quote.revision, state="requested"):
        q.quote_review_decide(
            review=review,
            actor=users[by_dept[review.department]],
            decision="approve",
            comment="Looks good.",
        )
    return Quote.objects.get(pk=quote.pk)


def _sent(quote, users):
    sam = users["sam.sales"]
    quote = q.quote_submit(quote=quote, actor=sam, comment="Ready for review")
    quote = _approve_reviews(quote, users)
    return q.quote_send(quote=quote, actor=sam, comment="Sent to the customer")


def _signed(contact, po: str) -> dict:
    """What a buyer types when accepting in the portal (orders.QuoteAcceptance)."""
    return {
        "customer_po": po,
        "signer_name": contact.get_full_name() or contact.username,
        "terms_accepted": True,
        "ip_address": "198.51.100.23",
    }


SKID_LINE = (
    "skid",
    2,
    {"motor": "7_5kw", "drive": "vfd"},
    5,
    {
        "scope_statement": "Includes start-up assistance (1 day). Excludes piping "
        "beyond the skid flanges."
    },
)


def _datasheet_pdf() -> ContentFile:
    """A one-page PDF the demo attaches to a comment (a real file a viewer opens)."""
    text = b"BT /F1 18 Tf 72 720 Td (Kestrel PS-200 pump skid - datasheet) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return ContentFile(bytes(out), name="PS-200 datasheet.pdf")


# (author, text, audience, with the datasheet): internal notes, a shared file, a reply.
QUOTE_THREAD = (
    (
        "sam.sales",
        "@erin.engineer Acme asked whether the skid fits their 2.4 m pit. Can you confirm "
        "the frame height before they decide?",
        Audience.INTERNAL,
        False,
    ),
    (
        "erin.engineer",
        "Frame is 2.1 m with the motor fitted; fits with room for lifting eyes.",
        Audience.INTERNAL,
        False,
    ),
    (
        "sam.sales",
        "The datasheet with the frame dimensions is attached. The skid fits your 2.4 m pit.",
        Audience.CUSTOMER,
        True,
    ),
    (
        "acme.buyer",
        "Thanks, that answers our question. We will review the quote this week.",
        Audience.CUSTOMER,
        False,
    ),
)
ORDER_THREAD = (
    (
        "pat.planner",
        "Motor delivery moved up two days; production stays on plan.",
        Audience.INTERNAL,
        False,
    ),
    (
        "sam.sales",
        "Production has started. We will confirm the shipping date once testing is done.",
        Audience.CUSTOMER,
        False,
    ),
)


def _comments(target, users: dict, thread) -> None:
    for author, text, audience, with_file in thread:
        comment_post(
            target=target,
            actor=users[author],
            text=text,
            audience=audience,
            files=[_datasheet_pdf()] if with_file else [],
        )


def seed(users: dict, orgs: dict, products: dict) -> dict:
    sam = users["sam.sales"]
    made = {}
    # What a sales rep would call each project; people read these on every page.
    titles = {
        "sent": "Lift station 4 booster skids",
        "accepted": "Cellar transfer pumps",
        "declined": "Heap leach pump skids",
        "expired": "Keg washer feed pumps",
        "cancelled": "Reservoir inlet skids",
    }
    order_titles = {
        "pending": "North plant booster skids",
        "confirmed": "Fermenter CIP pump skids",
        "planned": "Thickener underflow skids",
        "in_production": "Filter backwash skids",
        "ready_to_ship": "Bright tank transfer skids",
        "partially_shipped": "Tailings return skids",
        "shipped": "Clearwell pump skids",
        "delivered": "Wort transfer skids",
        "closed": "Process water skids",
        "on_hold": "Storm basin pump skids",
        "cancelled": "Brine line skids",
    }

    quote, new = _quote(
        users,
        orgs,
        products,
        "DEMO-DRAFT",
        "BOREALIS",
        [("cabinet", 1, {"plc": "advanced", "hmi": "12in"}, 0, {})],
        title="Brewhouse pump controls",
    )
    made["draft"] = quote
    quote, new = _quote(
        users,
        orgs,
        products,
        "DEMO-REVIEW",
        "COBALT",
        [
            (
                "dosing",
                1,
                {"chemical": "custom"},
                0,
                {"custom_spec": "Ferric chloride, 316L wetted parts, ATEX zone 2"},
            ),
            ("skid", 3, {"seal": "double"}, 14, {}),
        ],
        title="Tailings water treatment",
        requested_date=timezone.localdate() + dt.timedelta(days=30),
    )
    if new:
        quote = q.quote_submit(quote=quote, actor=sam, comment="Needs all four reviews")
        eng = quote.reviews.filter(department="engineering").first()
        if eng:
            q.quote_review_decide(
                review=eng,
                actor=users["erin.engineer"],
                decision="approve",
                comment="Feasible with a 316L dosing head.",
            )
    made["in_review"] = quote
    # More quotes waiting in every department's inbox, one of them overdue.
    for ref, customer, lines, title, late in (
        (
            "DEMO-REVIEW-2",
            "ACME",
            [
                (
                    "dosing",
                    1,
                    {"chemical": "custom"},
                    0,
                    {"custom_spec": "Sodium hypochlorite, PVDF wetted parts, outdoor enclosure"},
                ),
                ("skid", 2, {"seal": "double"}, 15, {}),
            ],
            "Disinfection upgrade, plant 2",
            True,
        ),
        (
            "DEMO-REVIEW-3",
            "BOREALIS",
            [
                (
                    "cabinet",
                    2,
                    {"plc": "advanced", "hmi": "12in"},
                    0,
                    {
                        "custom_spec": "Ethernet/IP to the brewhouse SCADA",
                        "requested_date": timezone.localdate() + dt.timedelta(days=5),
                    },
                ),
            ],
            "Cellar controls retrofit",
            False,
        ),
    ):
        quote, new = _quote(users, orgs, products, ref, customer, lines, title=title)
        if new:
            quote = q.quote_submit(quote=quote, actor=sam, comment="Please review")
            if late:
                quote.reviews.update(due_date=timezone.localdate() - dt.timedelta(days=2))
    quote, new = _quote(
        users, orgs, products, "DEMO-APPROVED", "ACME", [SKID_LINE], title="Booster station B"
    )
    if new:
        quote = _approve_reviews(q.quote_submit(quote=quote, actor=sam), users)
    made["approved"] = quote

    for state, customer in (
        ("sent", "ACME"),
        ("accepted", "BOREALIS"),
        ("declined", "COBALT"),
        ("expired", "BOREALIS"),
        ("cancelled", "ACME"),
    ):
        quote, new = _quote(
            users,
            orgs,
            products,
            f"DEMO-{state.upper()}",
            customer,
            [SKID_LINE],
            title=titles[state],
        )
        if new:
            quote = _sent(quote, users)
            contact = users[f"{customer.lower()}.buyer"]
            if state == "sent":
                # Revised after sending (one more skid, a later validity) and sent again:
                # the portal shows the buyer what changed between the two revisions.
                quote = q.quote_revise(quote=quote, actor=sam, comment="Customer asked for 3")
                q.quote_line_update(line=quote.lines.first(), actor=sam, quantity=3)
                quote = _sent(Quote.objects.get(pk=quote.pk), users)
                _comments(quote, users, QUOTE_THREAD)
            if state == "accepted":
                quote = q.quote_accept(
                    quote=quote,
                    actor=contact,
                    comment="Go ahead.",
                    **_signed(contact, "BOREALIS-PO-4410"),
                )
            elif state == "declined":
                quote = q.quote_decline(quote=quote, actor=contact, comment="Budget moved.")
            elif state == "expired":
                Quote.objects.filter(pk=quote.pk).update(
                    valid_until=timezone.localdate() - dt.timedelta(days=1)
                )
                quote = q.quote_expire(quote=Quote.objects.get(pk=quote.pk))
            elif state == "cancelled":
                quote = q.quote_cancel(quote=quote, actor=sam, comment="Duplicate request.")
        made[state] = quote

    orders = {}
    for state, path in ORDER_PATHS.items():
        customer = ("ACME", "BOREALIS", "COBALT")[len(orders) % 3]
        lines = [SKID_LINE] if state != "in_design" else []
        quote, new = _quote(
            users,
            orgs,
            products,
            f"DEMO-SO-{state.upper()}",
            customer,
            lines,
            title=order_titles.get(state, "Pump skids"),
        )
        if new:
            contact = users[f"{customer.lower()}.buyer"]
            quote = q.quote_accept(
                quote=_sent(quote, users),
                actor=contact,
                **_signed(contact, f"{customer}-PO-{len(orders) + 100}"),
            )
            order = so.quote_convert(quote=quote, actor=sam)
            order = so.order_update(
                order=order,
                actor=sam,
                expected_version=order.version,
                delivery_contact_name="Receiving dock",
                delivery_window="Weekdays 7:00-15:00",
            )
            for name in path:
                if name == "close":
                    # Invoicing and payments arrive with fulfillment; settle the demo order.
                    SalesOrder.objects.filter(pk=order.pk).update(
                        invoiced_amount=order.total,
                        paid_amount=order.total,
                        onboarding_done_at=timezone.now(),
                    )
                order = so.order_transition(
                    order=SalesOrder.objects.get(pk=order.pk),
                    name=name,
                    actor=users[ACTOR_FOR[name]],
                )
            if state == "in_production":
                _comments(order, users, ORDER_THREAD)
            orders[state] = order
        else:
            orders[state] = SalesOrder.objects.filter(quote=quote).first()
    made["converted"] = orders["pending"].quote if orders.get("pending") else None

    quote, new = _quote(
        users,
        orgs,
        products,
        "DEMO-SO-IN_DESIGN",
        "COBALT",
        [("dosing", 1, {"chemical": "fluoride"}, 0, {})],
        title="Fluoride dosing system",
    )
    if new:
        quote = q.quote_accept(quote=_sent(quote, users), actor=users["cobalt.buyer"])
        order = so.quote_convert(quote=quote, actor=sam, customer_po="COBALT-PO-77")
        order = so.order_update(
            order=order,
            actor=sam,
            expected_version=order.version,
            delivery_contact_name="Site manager",
        )
        for name in ("confirm", "start_design"):
            order = so.order_transition(order=order, name=name, actor=users[ACTOR_FOR[name]])
        orders["in_design"] = order

    planned = orders.get("planned")
    if planned is not None and not planned.tracker_links.exists():
        # The buyer shared the order's progress with its site team (portal: Share progress).
        trackers.tracker_link_create(
            order=planned, actor=users[f"{planned.customer.code.lower()}.buyer"], days=30
        )
    if planned is not None and not planned.change_requests.exists():
        change = cr.change_request_create(
            actor=users["acme.buyer"]
            if planned.customer.code == "ACME"
            else users[f"{planned.customer.code.lower()}.buyer"],
            order=planned,
            title="Add a spare seal kit",
            description="Please ship one spare mechanical seal kit with the skids.",
        )
        cr.change_request_transition(
            change_request=change, name="start_assessment", actor=users["erin.engineer"]
        )
        # A staff proposal waiting for the customer's decision in the portal.
        proposal = cr.change_request_create(
            actor=sam,
            order=planned,
            title="Stainless base frame",
            description="A stainless base frame instead of painted steel, for the wash-down area.",
        )
        proposal = cr.change_request_transition(
            change_request=proposal, name="start_assessment", actor=users["erin.engineer"]
        )
        proposal = cr.change_request_assess(
            change_request=proposal,
            actor=users["pat.planner"],
            expected_version=None,
            engineering_assessment="Same footprint; new frame drawing needed.",
            manufacturing_assessment="Frame welding adds two days.",
            cost_delta=Decimal("900"),
            price_delta=Decimal("1450"),
            date_delta_days=2,
        )
        cr.change_request_transition(change_request=proposal, name="propose", actor=sam)
    if not PlanRun.objects.exists():
        # The planner's re-plan page shows a finished full run (its moves, if any).
        run = replan.plan_run_start(
            actor=users["pat.planner"], text="Weekly re-plan before the S&OP meeting", queue=False
        )
        replan.replan_full_run(run=run)
    demo_slips.seed(orders, users)
    return {"quotes": made, "orders": orders}
