"""The access matrix's dataset: one Kestrel with every role, two customers and
two suppliers, quotes, orders and change requests in the states that decide
visibility, and canaries planted wherever internal data lives.

`build_world()` runs once per test module (see conftest.py); add the objects a
new capability needs here, each with its `marker` (a string that identifies it
on a page: number, title) and the audiences allowed to see it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from apps.accounts.models import AddressKind, Organization, OrganizationKind
from apps.accounts.roles import Role
from apps.accounts.services import api_token_issue, invitation_create, invitation_token
from apps.catalog.models import (
    CapacityReservation,
    FulfillmentMode,
    PartKind,
    Product,
    RuleKind,
    SupplierClosure,
    WorkCenterClosure,
)
from apps.core.comments import comment_post
from apps.core.models import Audience
from apps.core.services import activity_record
from apps.orders.models import QuoteReview
from apps.orders.services import changes as change_services
from apps.orders.services import orders as order_services
from apps.orders.services import quotes as quote_services
from apps.orders.services import trackers as tracker_services
from tests.catalog.factories import (
    BOMLineFactory,
    ConfigurationRuleFactory,
    OptionFactory,
    OptionGroupFactory,
    PartFactory,
    ProductFactory,
    RoutingOperationFactory,
    SupplierPartFactory,
    WorkCenterFactory,
    stock,
)
from tests.factories import AddressFactory, OrganizationFactory, UserFactory
from tests.orders.slips import replan_slip

STAFF = (
    Role.SALES_REP,
    Role.SALES_MANAGER,
    Role.ENGINEER,
    Role.PLANNER,
    Role.QUALITY,
    Role.BUYER,
    Role.WAREHOUSE,
    Role.FINANCE,
    Role.OPS_ADMIN,
)
CUSTOMERS = ("acme", "borealis")
SUPPLIERS = ("delta", "evergreen")
EXTERNAL = CUSTOMERS + SUPPLIERS
AUDIENCES: tuple[str, ...] = ("anon", *(str(r) for r in STAFF), *EXTERNAL)

# Strings that must never reach a customer or supplier: in a page, a JSON body
# or an e-mail. Numbers are planted as costs and margins; they are checked in
# the plain and the grouped spelling.
UNIT_COST = Decimal("31337.77")
OPTION_COST = Decimal("1729.17")
CR_COST_DELTA = Decimal("27182.81")
LIST_PRICE = Decimal("86753.09")
MARGIN = "63.88"  # (86753.09 - 31337.77) / 86753.09
CANARY_GROUPS: dict[str, tuple[str, ...]] = {
    "quote internal notes": ("CANARY-QUOTE-NOTE",),
    "order internal notes": ("CANARY-ORDER-NOTE",),
    "organization internal notes": ("CANARY-ORG-NOTE",),
    "review comments": ("CANARY-REVIEW-COMMENT",),
    "staff transition comments": ("CANARY-INTERNAL-COMMENT",),
    "staff comments on steps the customer sees": ("CANARY-SEND-COMMENT", "CANARY-CONVERT-COMMENT"),
    "internal timeline entries": ("CANARY-INTERNAL-ACTIVITY",),
    "internal comments and their files": ("CANARY-THREAD-COMMENT", "CANARY-THREAD-FILE"),
    "slip reasons": ("CANARY-SLIP-REASON",),
    "change-request assessments": ("CANARY-CR-ENGINEERING", "CANARY-CR-MANUFACTURING"),
    "internal change requests": ("CANARY-INTERNAL-CR",),
    "edits to a quote being revised": ("CANARY-REVISION-DRAFT",),
    "unit costs": ("31337.77", "31,337.77", "31337,77"),
    "option costs": ("1729.17", "1,729.17"),
    "change-request cost deltas": ("27182.81", "27,182.81"),
    "margins": (MARGIN,),
    "inquiry and opportunity notes": ("CANARY-INQUIRY-NOTE", "CANARY-OPPORTUNITY-NOTE"),
}
CANARIES = tuple(c for group in CANARY_GROUPS.values() for c in group)


@dataclass
class World:
    """Objects by name (world.quote_acme_sent), users and logged-in clients per audience."""

    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    orgs: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    # marker string -> the external audiences that may see it (staff see everything)
    markers: dict[str, frozenset[str]] = field(default_factory=dict)
    setup_mail: list = field(default_factory=list)
    # the row each admin's per-object views are asked about (default: its first row)
    admin_objects: dict[type, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None

    def add(self, name: str, obj: Any, *, seen_by: tuple[str, ...] = (), markers=()) -> Any:
        self.objects[name] = obj
        for marker in markers:
            self.markers[str(marker)] = frozenset(seen_by)
        return obj

    canaries: tuple[str, ...] = CANARIES

    def forbidden_for(self, audience: str) -> list[str]:
        """Markers of objects this external audience may not see, plus every canary."""
        return [m for m, seen in self.markers.items() if audience not in seen] + list(CANARIES)

    def contact_audience(self, email: str) -> str | None:
        for aud in EXTERNAL:
            if self.users[aud].email == email:
                return aud
        for aud in EXTERNAL:
            org = self.orgs[aud]
            if email.endswith(f"@{org.code.lower()}.example"):
                return aud
        return None


def _quote(world: World, owner, customer, *, title: str, product, qty: int = 1):
    quote = quote_services.quote_create(
        actor=owner, customer=customer, title=title, internal_notes=f"CANARY-QUOTE-NOTE {title}"
    )
    quote_services.quote_line_add(
        quote=quote, actor=owner, product=product, quantity=qty, configuration={}
    )
    quote.refresh_from_db()
    return quote


def _decide_reviews(quote, world: World, *, departments=("engineering", "manufacturing")) -> None:
    deciders = {"engineering": Role.ENGINEER, "manufacturing": Role.PLANNER}
    for department in departments:
        review = QuoteReview.objects.get(
            quote=quote, revision=quote.revision, department=department
        )
        quote_services.quote_review_decide(
            review=review,
            actor=world.users[deciders[department]],
            decision="approve",
            comment=f"CANARY-REVIEW-COMMENT {quote.title}",
        )


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f"%PDF-1.4\n% {text}\n%%EOF\n".encode(), "application/pdf")


def _plant_comments(world: World, aud: str, noun: str, target, *, author) -> None:
    """An internal comment with a file (canaries) and a customer-visible one with a file."""
    tag = aud.upper()
    internal = comment_post(
        target=target,
        actor=author,
        text=f"CANARY-THREAD-COMMENT {tag} {noun}",
        files=[_pdf(f"CANARY-THREAD-FILE-{tag}.pdf", f"CANARY-THREAD-FILE {tag}")],
    )
    secret = internal.comment.attachments.get()
    world.add(f"file_{aud}_{noun}_internal", secret, markers=(secret.pk,))
    shared = comment_post(
        target=target,
        actor=author,
        text=f"{tag}-SHARED-COMMENT {noun}",
        audience=Audience.CUSTOMER,
        files=[_pdf(f"{tag}-SHARED-FILE.pdf", f"{tag}-SHARED-FILE")],
    )
    visible = shared.comment.attachments.get()
    world.add(
        f"file_{aud}_{noun}_shared",
        visible,
        seen_by=(aud,),
        markers=(visible.pk, f"{tag}-SHARED-COMMENT {noun}", f"{tag}-SHARED-FILE"),
    )


def build_world() -> World:
    world = World()
    kestrel = OrganizationFactory(
        code="KESTREL", name="Kestrel Pump & Control", kind=OrganizationKind.INTERNAL
    )
    specs = {
        "acme": ("ACME", "Acme Water Utility", OrganizationKind.CUSTOMER),
        "borealis": ("BOREALIS", "Borealis Brewing", OrganizationKind.CUSTOMER),
        "delta": ("DELTA", "Delta Motors", OrganizationKind.SUPPLIER),
        "evergreen": ("EVERGREEN", "Evergreen Castings", OrganizationKind.SUPPLIER),
    }
    for aud, (code, name, kind) in specs.items():
        org = OrganizationFactory(code=code, name=name, kind=kind)
        org.internal_notes = f"CANARY-ORG-NOTE {code}"
        org.save(update_fields=["internal_notes"])
        world.orgs[aud] = org
        world.markers[name] = frozenset({aud})
        contact = UserFactory(
            username=f"{aud}.contact",
            first_name=code.title(),
            last_name="Contact",
            email=f"{aud}.contact@{code.lower()}.example",
            organization=org,
        )
        world.users[aud] = contact
        world.markers[contact.email] = frozenset({aud})
        if kind == OrganizationKind.CUSTOMER:
            AddressFactory(organization=org, kind=AddressKind.SHIPPING, is_default=True)
            AddressFactory(organization=org, kind=AddressKind.BILLING, is_default=True)
    for role in STAFF:
        user = UserFactory(username=str(role).replace("_", "."), organization=kestrel, roles=[role])
        if role == Role.OPS_ADMIN:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        world.users[str(role)] = user
    assert Group.objects.filter(name__in=STAFF).count() == len(STAFF)
    users = world.users
    rep, manager = users[Role.SALES_REP], users[Role.SALES_MANAGER]

    # -- catalog: the skid carries the planted cost, bought from Delta --------
    # Rates at zero, so the rolled-up unit cost of either product is exactly UNIT_COST:
    # the skid's through Delta's motor price, the dosing system's through its base cost.
    assy = WorkCenterFactory(
        code="ASSY",
        name="Assembly",
        daily_capacity_hours=Decimal("16"),
        hourly_rate=Decimal("0"),
    )
    motor = PartFactory(number="MTR-55", name="Motor 5.5 kW", unit_cost=UNIT_COST)
    stock(motor, 50)
    SupplierPartFactory(
        supplier=world.orgs["delta"], part=motor, lead_time_days=14, price=UNIT_COST
    )
    skid = ProductFactory(
        sku="SKID",
        name="Pump skid",
        fulfillment_mode=FulfillmentMode.ATO,
        base_price=LIST_PRICE,
        base_cost=UNIT_COST,
    )
    BOMLineFactory(product=skid, component=motor)
    RoutingOperationFactory(product=skid, work_center=assy)
    dosing = ProductFactory(
        sku="DOSE",
        name="Dosing system",
        fulfillment_mode=FulfillmentMode.DTO,
        design_days=10,
        base_price=LIST_PRICE,
        base_cost=UNIT_COST,
    )
    RoutingOperationFactory(product=dosing, work_center=assy)
    world.add("skid", skid)
    # The planted option cost must not reach contacts through the products API.
    drive = OptionGroupFactory(product=skid, code="drive", name="Drive", is_required=False)
    vfd = OptionFactory(
        group=drive, code="vfd", name="VFD", price_delta=Decimal("2500"), cost_delta=OPTION_COST
    )
    ConfigurationRuleFactory(product=skid, kind=RuleKind.QUANTITY, max_quantity=20)
    WorkCenterClosure.objects.create(
        work_center=assy, date=timezone.localdate() + dt.timedelta(days=60), reason="Stocktake"
    )
    CapacityReservation.objects.create(
        work_center=assy, date=timezone.localdate(), hours=Decimal("2"), reference="WO-1/10"
    )
    SupplierClosure.objects.create(
        supplier=world.orgs["delta"],
        start_date=timezone.localdate() + dt.timedelta(days=90),
        end_date=timezone.localdate() + dt.timedelta(days=95),
        reason="Summer shutdown",
    )
    world.add("vfd", vfd)
    # A product on quote lines of every customer: its admin delete page lists them.
    world.admin_objects[Product] = skid
    world.add("motor", motor)
    world.add("dosing", dosing)

    for aud in CUSTOMERS:
        org, contact = world.orgs[aud], users[aud]
        tag = aud.upper()
        draft = _quote(world, rep, org, title=f"{tag}-DRAFT-QUOTE", product=skid)
        world.add(f"quote_{aud}_draft", draft, markers=(draft.number, draft.pk, draft.title))
        world.add(f"line_{aud}_draft", draft.lines.first())

        in_review = _quote(world, rep, org, title=f"{tag}-REVIEW-QUOTE", product=dosing)
        in_review = quote_services.quote_submit(
            quote=in_review, actor=rep, comment=f"CANARY-INTERNAL-COMMENT {tag}"
        )
        _decide_reviews(in_review, world, departments=("engineering",))
        in_review.refresh_from_db()
        world.add(
            f"quote_{aud}_in_review",
            in_review,
            markers=(in_review.number, in_review.pk, in_review.title),
        )
        world.add(
            f"review_{aud}_open",
            QuoteReview.objects.get(quote=in_review, department="manufacturing"),
        )

        sent = _quote(world, rep, org, title=f"{tag}-SENT-QUOTE", product=dosing)
        sent = quote_services.quote_submit(quote=sent, actor=rep)
        _decide_reviews(sent, world)
        sent.refresh_from_db()
        # A staff comment on a step the customer sees stays internal unless marked.
        sent = quote_services.quote_send(
            quote=sent, actor=rep, comment=f"CANARY-SEND-COMMENT {tag} margin is thin"
        )
        world.add(
            f"quote_{aud}_sent", sent, seen_by=(aud,), markers=(sent.number, sent.pk, sent.title)
        )
        world.add(f"line_{aud}_sent", sent.lines.first())

        # Sent, then revised: the customer keeps seeing the sent revision, never the edits.
        revised = _quote(world, rep, org, title=f"{tag}-REVISED-QUOTE", product=skid)
        revised = quote_services.quote_submit(quote=revised, actor=rep)
        revised = quote_services.quote_send(quote=revised, actor=rep)
        revised = quote_services.quote_revise(quote=revised, actor=rep)
        revised = quote_services.quote_update(
            quote=revised,
            actor=rep,
            expected_version=None,
            title=f"CANARY-REVISION-DRAFT {tag}",
        )
        world.add(
            f"quote_{aud}_revised",
            revised,
            seen_by=(aud,),
            markers=(revised.number, revised.pk, f"{tag}-REVISED-QUOTE"),
        )

        declined = _quote(world, rep, org, title=f"{tag}-DECLINED-QUOTE", product=skid)
        declined = quote_services.quote_submit(quote=declined, actor=rep)
        declined = quote_services.quote_send(quote=declined, actor=rep)
        declined = quote_services.quote_decline(quote=declined, actor=contact, comment="Too dear.")
        world.add(
            f"quote_{aud}_declined",
            declined,
            seen_by=(aud,),
            markers=(declined.number, declined.pk, declined.title),
        )

        won = _quote(world, rep, org, title=f"{tag}-WON-QUOTE", product=skid, qty=2)
        won = quote_services.quote_submit(quote=won, actor=rep)
        won = quote_services.quote_send(quote=won, actor=rep)
        won = quote_services.quote_accept(
            quote=won,
            actor=contact,
            customer_po=f"{tag}-PO-1",
            signer_name=f"{tag} Signer",
            terms_accepted=True,
            ip_address="192.0.2.7",
        )
        order = order_services.quote_convert(
            quote=won,
            actor=rep,
            customer_po=f"{tag}-PO-1",
            comment=f"CANARY-CONVERT-COMMENT {tag}",
        )
        order.internal_notes = f"CANARY-ORDER-NOTE {tag}"
        order.save(update_fields=["internal_notes"])
        line = order.lines.first()
        order_services.order_line_reforecast(
            line=line,
            actor=users[Role.PLANNER],
            new_date=line.forecast_date + dt.timedelta(days=9),
            reason=f"CANARY-SLIP-REASON {tag}",
        )
        # A re-plan's slip the customer has not been told yet (released by sales or
        # the beat task): its reason is a canary like the reforecast's.
        replan_slip(line, 5, reason=f"CANARY-SLIP-REASON {tag} receipt moved")
        activity_record(
            target=order,
            actor=users[Role.PLANNER],
            verb="commented",
            text=f"CANARY-INTERNAL-ACTIVITY {tag}",
            audience=Audience.INTERNAL,
        )
        won.refresh_from_db()
        world.add(f"quote_{aud}_won", won, seen_by=(aud,), markers=(won.number, won.pk, won.title))
        world.add(f"order_{aud}", order, seen_by=(aud,), markers=(order.number, order.pk))
        world.add(f"orderline_{aud}", line)
        # Tracker links: one open (its token kept for the public page), one revoked, one expired.
        link, token = tracker_services.tracker_link_create(order=order, actor=contact)
        world.add(f"tracker_{aud}", link)
        world.add(f"tracker_token_{aud}", token)
        revoked, revoked_token = tracker_services.tracker_link_create(order=order, actor=rep)
        tracker_services.tracker_link_revoke(link=revoked, actor=contact)
        world.add(f"tracker_token_{aud}_revoked", revoked_token)
        expired, expired_token = tracker_services.tracker_link_create(order=order, actor=rep)
        type(expired).objects.filter(pk=expired.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
        world.add(f"tracker_token_{aud}_expired", expired_token)
        for noun, target in (("quote", sent), ("order", order)):
            _plant_comments(world, aud, noun, target, author=rep)

        # Change requests: the customer's own (visible to it throughout), one
        # staff raised on a quote the customer may not see, one staff raised
        # and still internal on its order, and one staff proposed to it.
        own = change_services.change_request_create(
            actor=contact,
            quote=sent,
            title=f"{tag}-CUSTOMER-CR",
            description="Please paint it blue.",
        )
        world.add(
            f"cr_{aud}_customer", own, seen_by=(aud,), markers=(own.number, own.pk, own.title)
        )
        assessing = change_services.change_request_create(
            actor=contact, order=order, title=f"{tag}-ASSESSING-CR", description="Add a spare seal."
        )
        assessing = change_services.change_request_transition(
            change_request=assessing, name="start_assessment", actor=users[Role.PLANNER]
        )
        world.add(
            f"cr_{aud}_assessing",
            assessing,
            seen_by=(aud,),
            markers=(assessing.number, assessing.pk, assessing.title),
        )
        hidden = change_services.change_request_create(
            actor=rep,
            quote=draft,
            title=f"CANARY-INTERNAL-CR {tag} on a draft",
            description="CANARY-INTERNAL-CR description",
        )
        world.add(f"cr_{aud}_on_draft", hidden, markers=(hidden.number, hidden.pk))
        internal = change_services.change_request_create(
            actor=rep,
            order=order,
            title=f"CANARY-INTERNAL-CR {tag} on the order",
            description="CANARY-INTERNAL-CR description",
        )
        world.add(f"cr_{aud}_internal", internal, markers=(internal.number, internal.pk))
        proposed = change_services.change_request_create(
            actor=rep, order=order, title=f"{tag}-PROPOSED-CR", description="Longer cable."
        )
        proposed = change_services.change_request_transition(
            change_request=proposed, name="start_assessment", actor=users[Role.ENGINEER]
        )
        proposed = change_services.change_request_assess(
            change_request=proposed,
            actor=users[Role.ENGINEER],
            expected_version=None,
            engineering_assessment=f"CANARY-CR-ENGINEERING {tag}",
            manufacturing_assessment=f"CANARY-CR-MANUFACTURING {tag}",
            cost_delta=CR_COST_DELTA,
            price_delta=Decimal("500.00"),
            date_delta_days=3,
        )
        proposed = change_services.change_request_transition(
            change_request=proposed, name="propose", actor=rep
        )
        # Changes neither price nor dates: a sales manager decides, the customer only sees it.
        minor = change_services.change_request_create(
            actor=rep, order=order, title=f"{tag}-MINOR-CR", description="Other label text."
        )
        minor = change_services.change_request_transition(
            change_request=minor, name="start_assessment", actor=users[Role.ENGINEER]
        )
        minor = change_services.change_request_assess(
            change_request=minor,
            actor=users[Role.ENGINEER],
            expected_version=None,
            engineering_assessment=f"CANARY-CR-ENGINEERING {tag} minor",
            manufacturing_assessment=f"CANARY-CR-MANUFACTURING {tag} minor",
        )
        minor = change_services.change_request_transition(
            change_request=minor, name="propose", actor=rep
        )
        world.add(
            f"cr_{aud}_minor",
            minor,
            seen_by=(aud,),
            markers=(minor.number, minor.pk, minor.title),
        )
        world.add(
            f"cr_{aud}_proposed",
            proposed,
            seen_by=(aud,),
            markers=(proposed.number, proposed.pk, proposed.title),
        )

    # A quote in review that waits for all four departments: each inbox has acme's row.
    pcb = PartFactory(number="PCB-7", name="PCB assembly", kind=PartKind.SUBCONTRACT)
    controller = ProductFactory(
        sku="CTRL", name="Controller", base_price=LIST_PRICE, base_cost=UNIT_COST
    )
    BOMLineFactory(product=controller, component=pcb)
    four = _quote(world, rep, world.orgs["acme"], title="ACME-FOUR-REVIEWS-QUOTE", product=dosing)
    quote_services.quote_line_update(line=four.lines.get(), actor=rep, discount_percent=15)
    quote_services.quote_line_add(quote=four, actor=rep, product=controller, quantity=1)
    four = quote_services.quote_submit(quote=four, actor=rep)
    world.add("quote_acme_four_reviews", four, markers=(four.number, four.pk, four.title))
    for department in ("engineering", "manufacturing", "purchasing", "pricing"):
        world.add(
            f"review_acme_{department}",
            QuoteReview.objects.get(quote=four, department=department),
        )

    for aud in EXTERNAL:
        invitation = invitation_create(
            organization=world.orgs[aud],
            email=f"invitee@{aud}.example",
            first_name="Invited",
            invited_by=manager if aud in CUSTOMERS else users[Role.BUYER],
        )
        world.add(f"invitation_{aud}", invitation, seen_by=(aud,), markers=(invitation.email,))
        world.add(f"invitation_token_{aud}", invitation_token(invitation))

    _sales_pipeline(world, rep=users[Role.SALES_REP])

    for aud in AUDIENCES:
        # A 500 is recorded as a cell of the matrix, with its traceback, not raised.
        client = Client(raise_request_exception=False)
        if aud != "anon":
            client.force_login(users[aud])
        world.clients[aud] = client
    # After the logins: a login clears the user's failed attempts (axes).
    token, _key = api_token_issue(user=users[Role.SALES_REP], name="matrix")
    world.add("token_sales_rep", token)
    attempt = {
        "user_agent": "matrix",
        "ip_address": "10.0.0.1",
        "username": "someone.else",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(
        **attempt, attempt_time=timezone.now(), get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**attempt, attempt_time=timezone.now())
    AccessFailureLog.objects.create(**attempt, attempt_time=timezone.now())
    # Every staff member belongs to it: its admin change and delete pages list them all.
    world.admin_objects[Organization] = kestrel
    world.kestrel = kestrel
    world.organization_content_type = ContentType.objects.get_for_model(type(kestrel))
    world.today = timezone.localdate()
    return world


def _sales_pipeline(world: World, *, rep) -> None:
    """Inquiries and opportunities: Kestrel's alone, no external audience sees them."""
    from apps.sales import services as sales_services

    def inquiry(tag: str):
        made, _ = sales_services.inquiry_submit_public(
            form_token=uuid.uuid4(),
            contact_name="Dana Field",
            contact_email=f"dana@{tag.lower()}.example",
            company_name=f"{tag} Water",
            subject=f"{tag}-INQUIRY skids",
            message="Two dosing skids for a new plant.",
        )
        return sales_services.inquiry_update(
            inquiry=made, actor=rep, internal_notes=f"CANARY-INQUIRY-NOTE {tag}"
        )

    new = inquiry("NORTHWIND")
    world.add("inquiry_new", new, markers=(new.number, new.pk, new.subject))
    ready = inquiry("SOUTHWIND")
    ready = sales_services.inquiry_transition(inquiry=ready, name="start_qualifying", actor=rep)
    ready = sales_services.inquiry_update(
        inquiry=ready,
        actor=rep,
        estimated_value=Decimal("40000"),
        expected_close_date=timezone.localdate() + dt.timedelta(days=40),
    )
    ready = sales_services.inquiry_transition(inquiry=ready, name="qualify", actor=rep)
    world.add("inquiry_qualified", ready, markers=(ready.number, ready.pk, ready.subject))
    for stage in ("open", "quoting"):
        opp = sales_services.opportunity_create(
            actor=rep,
            customer=world.orgs["acme"],
            title=f"ACME-{stage.upper()}-OPPORTUNITY",
            amount=Decimal("120000"),
            probability=35,
            expected_close_date=timezone.localdate() + dt.timedelta(days=30),
            internal_notes=f"CANARY-OPPORTUNITY-NOTE {stage}",
        )
        if stage == "quoting":
            quote = sales_services.opportunity_quote_create(opportunity=opp, actor=rep)
            world.add("quote_acme_for_opportunity", quote, markers=(quote.number, quote.pk))
            opp.refresh_from_db()
        world.add(f"opportunity_acme_{stage}", opp, markers=(opp.number, opp.pk, opp.title))
