"""Load a manufacturer-sized data set for the benchmark (`make bench`).

    manage.py seed_bulk --size S|M|L   (XS: a few hundred rows, for tests)

Deterministic (one seeded random generator, fixed dates), fast (PostgreSQL
COPY in large batches, bulk_create elsewhere; VACUUM ANALYZE at the end), and
shaped like real data: a few large accounts hold most documents, 1% of the
documents have 200 lines, and every document carries what the services would
have written: stored totals, the guardian grants of its customer's group, a
timeline. M: 5,000 customers, 200 suppliers, 2,000 products, 50,000 quotes
with 250,000 lines, 100,000 orders with 1,000,000 lines, 2,000,000 timeline
entries; S is a tenth; L is M with ten times the orders and lines.
Each order's quote is a converted quote of its own (the one-to-one link);
those quotes' lines are not written again.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Membership, Organization, OrganizationKind, User
from apps.accounts.roles import Role
from apps.catalog.models import FulfillmentMode, Product
from apps.core.models import Activity, ActivityKind, Audience
from apps.insights.bulk import ANCHOR, PASSWORD, SIZES, Writer
from apps.insights.bulk_later import LATER_TABLES, LaterPhase
from apps.orders.models import (
    QUOTE_CUSTOMER_STATES,
    ChangeOrigin,
    ChangeRequest,
    Department,
    OrderLine,
    OrderState,
    Quote,
    QuoteGroupObjectPermission,
    QuoteLine,
    QuoteReview,
    QuoteState,
    SalesOrder,
    SalesOrderGroupObjectPermission,
)
from apps.sales.models import Inquiry, InquirySource, InquiryState, Opportunity, OpportunityState

BIG_LINES = 200  # 1% of the documents
STAFF = 20
PHASES = ("all", "base", "later")
QUOTE_STATES = [
    (QuoteState.DRAFT, 20),
    (QuoteState.IN_REVIEW, 10),
    (QuoteState.APPROVED, 5),
    (QuoteState.SENT, 25),
    (QuoteState.ACCEPTED, 5),
    (QuoteState.DECLINED, 15),
    (QuoteState.EXPIRED, 15),
    (QuoteState.CANCELLED, 5),
]
ORDER_STATES = [
    (OrderState.PENDING, 5),
    (OrderState.CONFIRMED, 10),
    (OrderState.PLANNED, 10),
    (OrderState.IN_PRODUCTION, 15),
    (OrderState.READY_TO_SHIP, 5),
    (OrderState.SHIPPED, 10),
    (OrderState.DELIVERED, 10),
    (OrderState.CLOSED, 30),
    (OrderState.CANCELLED, 5),
]


class Command(LaterPhase, BaseCommand):
    help = (
        "Load a large deterministic data set for `make bench` (sizes XS, S, M, L). "
        "--phase later adds the later capabilities' objects to a database seeded before them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(SIZES), default="S")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--phase",
            choices=PHASES,
            default="all",
            help="all (an empty database: every phase), base (the documents only) or later "
            "(parts, supply, capacity, bookings, slips, re-plans and their users, on a "
            "database seeded at the same --size before they existed)",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the day the later phase's ledger dates count from (default: today)",
        )

    def handle(self, *args, size: str, seed: int, phase: str, today, **options):
        self.size = SIZES[size]
        self.seed = seed
        self.rng = random.Random(seed)
        if phase == "later":
            refusal = self.later_refusal()
            if refusal:
                raise CommandError(f"seed_bulk --phase later: {refusal}")
        elif Quote.objects.exists():
            raise CommandError("seed_bulk wants an empty database (quotes exist already).")
        started = time.monotonic()
        with transaction.atomic():
            if phase in ("all", "base"):
                self._people_and_catalog()
                self._quotes()
                self._orders()
                self._pipeline()
                self._activities()
            if phase in ("all", "later"):
                if isinstance(today, str):  # call_command(today="2026-12-01")
                    today = dt.date.fromisoformat(today)
                self.later_phase(today or timezone.localdate())
        # VACUUM cannot run in a transaction (a test's); the planner needs the statistics.
        if connection.vendor == "postgresql":
            # Alone, the later phase vacuums only the tables it wrote (not the timeline's).
            tables = ", ".join(m._meta.db_table for m in LATER_TABLES) if phase == "later" else ""
            with connection.cursor() as cursor:
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{command} {tables}".strip())
        done = []
        if phase != "later":
            done.append(
                f"{self.size.customers} customers, {self.n_quotes} quotes "
                f"({self.n_quote_lines} lines), {self.n_orders} orders ({self.n_order_lines} "
                f"lines), {self.n_activities} timeline entries"
            )
        if phase != "base":
            later = self.later_counts.items()
            done.append(", ".join(f"{n} {what.replace('_', ' ')}" for what, n in later))
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_bulk {size} ({phase}): {'; '.join(done)} "
                f"in {time.monotonic() - started:.0f} s"
            )
        )

    def person(self, username: str, org: Organization, *groups: Group) -> User:
        if not hasattr(self, "_hashed"):
            probe = User(username="probe")
            probe.set_password(PASSWORD)
            self._hashed = probe.password
        user = User.objects.create(
            username=username,
            email=f"{username}@bench.example",
            first_name=username.split(".")[0].title(),
            last_name="Bench",
            password=self._hashed,
        )
        Membership.objects.create(user=user, organization=org)
        user.groups.add(*groups)
        return user

    # -- inquiries and opportunities (a tenth of the quotes each) -------------------

    def _pipeline(self) -> None:
        n = max(10, self.size.quotes // 10)
        inquiry_states = [
            (InquiryState.NEW, 20),
            (InquiryState.QUALIFYING, 15),
            (InquiryState.QUALIFIED, 15),
            (InquiryState.CONVERTED, 30),
            (InquiryState.DISQUALIFIED, 12),
            (InquiryState.SPAM, 8),
        ]
        stages = [
            (OpportunityState.OPEN, 30),
            (OpportunityState.QUOTING, 30),
            (OpportunityState.WON, 25),
            (OpportunityState.LOST, 15),
        ]
        sources = [InquirySource.WEB, InquirySource.WEB, InquirySource.API, InquirySource.MANUAL]
        inquiries, opportunities = [], []
        for i in range(n):
            created = ANCHOR - dt.timedelta(minutes=7 * (n - i))
            close = ANCHOR.date() + dt.timedelta(days=self.rng.randint(-30, 270))
            value = Decimal(self.rng.randint(5, 400) * 1000)
            customer = self.customers[self.customer_index()]
            inquiries.append(
                Inquiry(
                    id=self.uuid(),
                    number=f"INQ-{i + 1:07d}",
                    source=sources[i % len(sources)],
                    state=self.pick(inquiry_states),
                    contact_name=f"Contact {i}",
                    contact_email=f"contact{i}@{customer.code.lower()}.example",
                    company_name=customer.name,
                    subject=f"Inquiry {i} for pump skids",
                    message="Please quote pump skids for our next project.",
                    estimated_value=value,
                    expected_close_date=close,
                    owner=self.staff[i % len(self.staff)],
                    created_at=created,
                    updated_at=created,
                )
            )
            opportunities.append(
                Opportunity(
                    id=self.uuid(),
                    number=f"OPP-{i + 1:07d}",
                    title=f"Opportunity {i}",
                    customer=customer,
                    owner=self.staff[i % len(self.staff)],
                    amount=value,
                    probability=self.rng.choice([10, 20, 30, 50, 70, 90]),
                    expected_close_date=close,
                    state=self.pick(stages),
                    created_at=created,
                    updated_at=created,
                )
            )
        # Seven digits, like the bench quotes: the services' own numbers (six) never collide.
        Inquiry.objects.bulk_create(inquiries, batch_size=5000)
        Opportunity.objects.bulk_create(opportunities, batch_size=5000)
        self.n_pipeline = n

    # -- helpers --------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def customer_index(self) -> int:
        # Skewed: the first few accounts hold most documents (a cube of a uniform).
        return int(self.size.customers * self.rng.random() ** 3)

    def pick(self, weighted):
        return self.rng.choices([s for s, _ in weighted], [w for _, w in weighted])[0]

    def line_counts(self, docs: int, lines: int):
        big = max(docs // 100, 1)
        per = max((lines - big * BIG_LINES) / max(docs - big, 1), 1)
        for i in range(docs):
            if i % 100 == 50:
                yield BIG_LINES
            else:
                yield max(1, round(per * (0.5 + self.rng.random())))

    # -- organizations, people, catalog ---------------------------------------

    def _people_and_catalog(self) -> None:
        size = self.size
        kestrel, _ = Organization.objects.get_or_create(
            code="KESTREL",
            defaults={"name": "Kestrel Pump & Control", "kind": OrganizationKind.INTERNAL},
        )
        orgs = []
        for kind, n, prefix in (
            (OrganizationKind.CUSTOMER, size.customers, "C"),
            (OrganizationKind.SUPPLIER, size.suppliers, "S"),
        ):
            groups = Group.objects.bulk_create(
                [Group(name=f"org:{prefix}{i:05d}") for i in range(n)], batch_size=5000
            )
            orgs.append(
                Organization.objects.bulk_create(
                    [
                        Organization(
                            id=self.uuid(),
                            code=f"{prefix}{i:05d}",
                            name=f"{'Customer' if prefix == 'C' else 'Supplier'} {i:05d}",
                            kind=kind,
                            credit_limit=Decimal("1000000") if prefix == "C" else None,
                            group=group,
                        )
                        for i, group in enumerate(groups)
                    ],
                    batch_size=5000,
                )
            )
        self.customers = orgs[0]
        roles = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
        person = self.person
        self.staff = [
            person(f"rep{i:02d}.sales", kestrel, roles[Role.SALES_REP]) for i in range(STAFF)
        ]
        person("bench.manager", kestrel, roles[Role.SALES_MANAGER])
        # Contacts of the largest account and of a small one, for the portal pages.
        for index in (0, len(self.customers) - 1):
            org = self.customers[index]
            person(f"contact.{org.code.lower()}", org, org.group, roles[Role.CUSTOMER_CONTACT])
        self.products = Product.objects.bulk_create(
            [
                Product(
                    id=self.uuid(),
                    sku=f"P{i:05d}",
                    name=f"Product {i:05d}",
                    fulfillment_mode=[FulfillmentMode.ATO, FulfillmentMode.MTO][i % 2],
                    base_price=Decimal(1000 + (i * 37) % 50_000),
                    base_cost=Decimal(600 + (i * 23) % 30_000),
                )
                for i in range(size.products)
            ],
            batch_size=5000,
        )
        self.quote_perm = Permission.objects.get(
            codename="view_quote", content_type__app_label="orders"
        )
        self.order_perm = Permission.objects.get(
            codename="view_salesorder", content_type__app_label="orders"
        )

    # -- quotes -----------------------------------------------------------------

    def _line_values(self):
        product = self.products[int(len(self.products) * self.rng.random() ** 2)]
        qty = self.rng.randint(1, 10)
        discount = Decimal(self.rng.choice([0, 0, 0, 5, 10]))
        unit_price = (product.base_price * (100 - discount) / 100).quantize(Decimal("0.01"))
        margin = ((unit_price - product.base_cost) / unit_price * 100).quantize(Decimal("0.01"))
        return product, qty, discount, unit_price, margin

    def _quotes(self) -> None:
        size = self.size
        quote_fields = [
            "id", "number", "customer", "owner", "title", "currency", "valid_until",
            "feasible_date", "state", "revision", "version", "created_at", "updated_at",
            "total_amount", "line_count", "sent_at", "internal_notes", "terms",
            "customer_reference", "critical_path",
        ]  # fmt: skip
        line_fields = [
            "id", "quote", "position", "product", "configuration", "configuration_text",
            "quantity", "unit_list_price", "discount_percent", "unit_price", "unit_cost",
            "line_total", "margin_percent", "critical_path", "promise_explanation",
            "scope_statement", "custom_spec", "needs_engineering", "parts_without_price",
            "has_subcontract", "created_at", "updated_at",
        ]  # fmt: skip
        grant_fields = ["group", "permission", "content_object"]
        quotes = Writer(Quote, quote_fields)
        lines = Writer(QuoteLine, line_fields)
        grants = Writer(QuoteGroupObjectPermission, grant_fields)
        review_fields = [
            "id", "quote", "department", "revision", "reasons", "due_date", "state",
            "created_at", "updated_at",
        ]  # fmt: skip
        reviews = Writer(QuoteReview, review_fields)
        departments = list(Department.values)
        self.order_quotes: list[tuple] = []  # (quote id, customer, owner, created)
        # Open and decided quotes, then one converted quote per order.
        counts = list(self.line_counts(size.quotes, size.quote_lines))
        total_docs = size.quotes + size.orders
        self.n_quote_lines = 0
        for i in range(total_docs):
            for_order = i >= size.quotes
            created = ANCHOR - dt.timedelta(minutes=(total_docs - i) * 7)
            state = QuoteState.CONVERTED if for_order else self.pick(QUOTE_STATES)
            customer = self.customers[self.customer_index()]
            owner = self.staff[self.rng.randrange(len(self.staff))]
            qid = self.uuid()
            total, n_lines = Decimal("0"), 0
            if not for_order:
                n_lines = counts[i]
                for position in range(n_lines):
                    product, qty, discount, unit_price, margin = self._line_values()
                    line_total = unit_price * qty
                    total += line_total
                    lines.add(
                        (
                            self.uuid(), qid, (position + 1) * 10, product.pk, "{}", "",
                            qty, product.base_price, discount, unit_price, product.base_cost,
                            line_total, margin, "", "", "", "", False, False, False,
                            created, created,
                        )
                    )  # fmt: skip
                self.n_quote_lines += n_lines
            else:
                total = Decimal(self.rng.randint(5_000, 400_000))
                n_lines = 0
                self.order_quotes.append((qid, customer, owner, created, total))
            quotes.add(
                (
                    qid, f"Q-{i + 1:07d}", customer.pk, owner.pk, f"Bench quote {i + 1}", "USD",
                    (created + dt.timedelta(days=30)).date(),
                    (created + dt.timedelta(days=45)).date(), state, 0, 1, created, created,
                    total, n_lines, created if state in QUOTE_CUSTOMER_STATES else None,
                    "", "", "", "",
                )
            )  # fmt: skip
            if state in QUOTE_CUSTOMER_STATES:
                grants.add((customer.group_id, self.quote_perm.pk, qid))
            if state == QuoteState.IN_REVIEW:
                # What the inboxes list: one to four departments asked, some overdue.
                for dept in self.rng.sample(departments, self.rng.randint(1, len(departments))):
                    due = (created + dt.timedelta(days=self.rng.randint(1, 5))).date()
                    reviews.add(
                        (self.uuid(), qid, dept, 0, "Bench review", due, "requested",
                         created, created)
                    )  # fmt: skip
        for writer in (quotes, lines, grants, reviews):
            writer.flush()
        self.n_quotes = quotes.total

    # -- orders -----------------------------------------------------------------

    def _orders(self) -> None:
        size = self.size
        order_fields = [
            "id", "number", "quote", "quote_revision", "customer", "owner", "currency",
            "customer_po", "shipping_address", "billing_address", "terms", "payment_terms",
            "delivery_contact_name", "delivery_contact_phone", "delivery_window",
            "site_requirements", "installation_needed", "internal_notes", "total",
            "order_revision", "invoiced_amount", "paid_amount", "state", "held_state",
            "version", "created_at", "updated_at", "line_count", "next_forecast_date",
            "last_forecast_date", "at_risk_count", "customer_next_date", "customer_last_date",
        ]  # fmt: skip
        line_fields = [
            "id", "order", "position", "product", "product_sku", "product_name",
            "fulfillment_mode", "configuration", "configuration_text", "quantity",
            "unit_list_price", "discount_percent", "unit_price", "unit_cost", "line_total",
            "scope_statement", "custom_spec", "first_promised_date", "forecast_date",
            "critical_path", "created_at", "updated_at", "at_risk",
        ]  # fmt: skip
        orders = Writer(SalesOrder, order_fields)
        lines = Writer(OrderLine, line_fields)
        grants = Writer(SalesOrderGroupObjectPermission, ["group", "permission", "content_object"])
        changes = Writer(
            ChangeRequest,
            ["id", "number", "order", "customer", "requested_by", "title", "description",
             "price_delta", "date_delta_days", "proposed_changes", "state", "version",
             "created_at", "updated_at", "engineering_assessment", "manufacturing_assessment",
             "cost_delta", "origin"],
        )  # fmt: skip
        counts = self.line_counts(size.orders, size.order_lines)
        self.n_order_lines = 0
        self.documents: list[tuple] = []  # for the timeline: (content type, id, created)
        for i, ((qid, customer, owner, created, _), n_lines) in enumerate(
            zip(self.order_quotes, counts, strict=False)
        ):
            oid = self.uuid()
            total = Decimal("0")
            first = last = told_first = told_last = None
            at_risk = 0
            for position in range(n_lines):
                product, qty, discount, unit_price, _margin = self._line_values()
                line_total = unit_price * qty
                total += line_total
                promised = (created + dt.timedelta(days=self.rng.randint(20, 90))).date()
                forecast = promised + dt.timedelta(days=self.rng.choice([0, 0, 0, 3, 10]))
                first = forecast if first is None else min(first, forecast)
                last = forecast if last is None else max(last, forecast)
                # No slip is told to the customer here: the customer's dates are the promises.
                told_first = promised if told_first is None else min(told_first, promised)
                told_last = promised if told_last is None else max(told_last, promised)
                at_risk += forecast > promised
                lines.add(
                    (
                        self.uuid(), oid, (position + 1) * 10, product.pk, product.sku,
                        product.name, product.fulfillment_mode, "{}", "", qty,
                        product.base_price, discount, unit_price, product.base_cost, line_total,
                        "", "", promised, forecast, "", created, created, forecast > promised,
                    )
                )  # fmt: skip
            self.n_order_lines += n_lines
            state = self.pick(ORDER_STATES)
            orders.add(
                (
                    oid, f"SO-{i + 1:07d}", qid, 0, customer.pk, owner.pk, "USD",
                    f"PO-{i + 1:06d}", "1 Bench Road\nSpringfield", "1 Bench Road\nSpringfield",
                    "", "net30", "Pat Receiver", "", "", "", False, "", total, 1,
                    Decimal("0"), Decimal("0"), state, "", 1, created, created, n_lines,
                    first, last, at_risk, told_first, told_last,
                )
            )  # fmt: skip
            grants.add((customer.group_id, self.order_perm.pk, oid))
            if i % 50 == 7:
                changes.add(
                    (
                        self.uuid(), f"CR-{i + 1:07d}", oid, customer.pk, owner.pk,
                        "Later delivery", "Please deliver two weeks later.", Decimal("0"), 14,
                        "[]", "submitted", 1, created, created, "", "", Decimal("0"),
                        ChangeOrigin.CUSTOMER,
                    )
                )  # fmt: skip
        for writer in (orders, lines, grants, changes):
            writer.flush()
        self.n_orders = orders.total

    # -- timeline ---------------------------------------------------------------

    def _activities(self) -> None:
        fields = [
            "content_type", "object_id", "actor", "kind", "verb", "from_state", "to_state",
            "text", "audience", "created_at",
        ]  # fmt: skip
        writer = Writer(Activity, fields)
        quote_ct = ContentType.objects.get_for_model(Quote)
        order_ct = ContentType.objects.get_for_model(SalesOrder)
        ids = [
            (quote_ct.pk, str(pk), created)
            for pk, created in Quote.objects.values_list("pk", "created_at").iterator()
        ] + [
            (order_ct.pk, str(pk), created)
            for pk, created in SalesOrder.objects.values_list("pk", "created_at").iterator()
        ]
        for n in range(self.size.activities):
            ct, object_id, created = ids[n % len(ids)]
            actor = self.staff[n % len(self.staff)]
            when = created + dt.timedelta(hours=n // len(ids) * 24 + self.rng.randint(0, 23))
            customer_visible = n % 3 == 0
            writer.add(
                (
                    ct, object_id, actor.pk,
                    ActivityKind.COMMENT if n % 4 else ActivityKind.TRANSITION,
                    "commented" if n % 4 else "submit", "", "",
                    "A note on the document.",
                    Audience.CUSTOMER if customer_visible else Audience.INTERNAL, when,
                )
            )  # fmt: skip
        writer.flush()
        self.n_activities = writer.total
