"""The access matrix as data: every URL name → the requests made to it and the
status each audience must get.

Adding a route: add its URL name to ROUTES with one `Case` per request worth
making (usually one object of acme's, so acme is the owner and borealis the
outsider), and say per audience what it gets. `expect()` fills the audiences
from groups: `staff`, `customers`, `suppliers`, `external`, `anon` (default:
redirect to the login page), then individual audiences (`sales_rep`, `acme`,
…) override their group. Objects come from world.py; add the ones a new
capability needs there. A URL name without an entry fails
`test_every_route_is_in_the_matrix` with "add <name> to the access matrix".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib import admin

from tests.access_matrix.world import AUDIENCES, CUSTOMERS, EXTERNAL, STAFF, SUPPLIERS

LOGIN = "login"  # a redirect to a login page (ours or the admin's)
REDIRECT = "redirect"  # a redirect anywhere else

Status = int | str | tuple  # a tuple: any of these
Kwargs = Callable[[Any], dict]

_GROUPS = {
    "staff": tuple(str(r) for r in STAFF),
    "customers": CUSTOMERS,
    "suppliers": SUPPLIERS,
    "external": EXTERNAL,
}


def expect(*, anon: Status = LOGIN, **given: Status) -> dict[str, Status]:
    """Resolve group and audience keys into one expected status per audience."""
    unknown = set(given) - set(_GROUPS) - set(AUDIENCES)
    if unknown:
        raise ValueError(f"unknown audiences {sorted(unknown)}")
    result: dict[str, Status] = {"anon": anon}
    for aud in AUDIENCES[1:]:
        for key in (aud, "customers", "suppliers", "staff", "external"):
            if key in given and (key == aud or aud in _GROUPS.get(key, ())):
                result[aud] = given[key]
                break
        else:
            raise ValueError(f"no expectation for {aud}")
    return result


@dataclass(frozen=True)
class Case:
    label: str
    expected: dict[str, Status] | Callable[[Any], dict[str, Status]]
    kwargs: Kwargs = field(default=lambda w: {})
    method: str = "get"
    data: dict | Callable[[Any], dict] | None = None
    query: str = ""
    htmx: bool = False  # also request the htmx partial (HX-Request) and check it alike
    # ask only as htmx does: for POSTs that answer a refusal with 422 to htmx but
    # with a redirect and a message to a plain form post
    htmx_only: bool = False
    # extra content assertions: check(world, audience, response) raises AssertionError
    check: Callable[[Any, str, Any], None] | None = None
    # the response may name other organizations' objects (a bearer link); canaries still count
    shows_foreign: bool = False
    # a path for an unnamed pattern (kwargs are ignored then)
    path: Callable[[Any], str] | None = None
    audiences: tuple[str, ...] = AUDIENCES

    def expected_for(self, world) -> dict[str, Status]:
        return self.expected(world) if callable(self.expected) else self.expected


# -- common expectation shapes --------------------------------------------------

STAFF_ONLY = expect(staff=200, external=404)


def _receipt(world) -> dict:
    """The row key of the receipt Delta still owes (world.py)."""
    return {
        "part": world.motor.pk,
        "reference": "PO-MATRIX",
        "date": (world.today + dt.timedelta(days=30)).isoformat(),
    }


def _site(world, org: str, owner: str) -> dict:
    site = world.orgs[owner].addresses.get(kind="shipping")
    return {"pk": world.orgs[org].pk, "address_pk": site.pk}


# Directories by department: sales act on customers, purchasing on suppliers
# (the other side answers 404), everyone else reads both.
SALES_DIRECTORY = expect(staff=200, buyer=404, external=404)
PURCHASING_DIRECTORY = expect(staff=200, sales_rep=404, sales_manager=404, external=404)
CUSTOMER_PORTAL = expect(staff=404, customers=200, suppliers=404)
SUPPLIER_PORTAL = expect(staff=404, customers=404, suppliers=200)
ACME_ONLY = expect(staff=404, acme=200, external=404)
EVERYONE = expect(anon=200, staff=200, external=200)
SIGNED_IN = expect(staff=200, external=200)
API_SIGNED_IN = expect(anon=401, staff=200, external=200)
API_STAFF_ONLY = expect(anon=401, staff=200, external=404)
# require_POST is the outermost decorator: a GET gets 405 before the login check,
# except where the middleware already hid the area from contacts.
GET_405_STAFF_AREA = expect(anon=405, staff=405, external=404)
SALES = ("sales_rep", "sales_manager")
# Who may raise and assess a change request.
CR_RAISERS = ("sales_rep", "sales_manager", "engineer", "planner")


def _others(status: Status, **given: Status) -> dict[str, Status]:
    return {r: status for r in _GROUPS["staff"] if r not in given} | given


# The at-risk page: sales, the planner and ops admins; other departments and contacts 404.
AT_RISK_READERS = expect(
    **_others(404, sales_rep=200, sales_manager=200, planner=200, ops_admin=200), external=404
)
SALES_WRITE = expect(**_others(403, sales_rep=200, sales_manager=200), external=404)
SALES_WRITE_POST = expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404)
REPLANNERS_PAGE = expect(
    **_others(403, planner=200, sales_manager=200, ops_admin=200), external=404
)


def _draft_version(world) -> int:
    # Read when the request is made: building the world may have saved the draft since.
    quote = world.quote_acme_draft
    return type(quote).objects.get(pk=quote.pk).version


def _builder_line(world) -> dict:
    """The configurator's post for a skid with the VFD on acme's draft."""
    return {
        "version": _draft_version(world),
        "product": world.skid.pk,
        "configured_product": world.skid.pk,
        "quantity": 2,
        "discount_percent": "0",
        "opt-drive": "vfd",
        "scope_statement": "Commissioning on site included.",
    }


def _pk(name: str, *extra: tuple[str, str]) -> Kwargs:
    def build(world) -> dict:
        kwargs = {"pk": getattr(world, name).pk}
        for key, attr in extra:
            value = world
            for part in attr.split("."):
                value = getattr(value, part)
            kwargs[key] = value
        return kwargs

    return build


def _section(obj: str, name: str) -> Kwargs:
    return lambda world: {"pk": getattr(world, obj).pk, "name": name}


def _json_ids(world, audience, response, *, visible: Callable[[Any, str], set]) -> None:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    got = {str(row["id"]) for row in rows}
    want = {str(pk) for pk in visible(world, audience)}
    assert got == want, f"listed {sorted(got - want)} extra, {sorted(want - got)} missing"


def lists_exactly(visible: Callable[[Any, str], set]):
    """An API list answers exactly the rows the audience may see (no foreign row)."""

    def check(world, audience, response):
        if response.status_code == 200:
            _json_ids(world, audience, response, visible=visible)

    return check


def _visible(prefix: str, external_names: dict[str, tuple[str, ...]]):
    def visible(world, audience) -> set:
        if audience in _GROUPS["staff"]:
            return {o.pk for n, o in world.objects.items() if n.startswith(prefix)}
        return {world.objects[n].pk for n in external_names.get(audience, ())}

    return visible


VISIBLE_QUOTES = _visible(
    "quote_",
    {
        c: (f"quote_{c}_sent", f"quote_{c}_revised", f"quote_{c}_declined", f"quote_{c}_won")
        for c in CUSTOMERS
    },
)
VISIBLE_INQUIRIES = _visible("inquiry_", {})
VISIBLE_OPPORTUNITIES = _visible("opportunity_", {})
VISIBLE_ORDERS = _visible("order_", {c: (f"order_{c}",) for c in CUSTOMERS})
VISIBLE_CRS = _visible(
    "cr_",
    {
        c: (f"cr_{c}_customer", f"cr_{c}_assessing", f"cr_{c}_proposed", f"cr_{c}_minor")
        for c in CUSTOMERS
    },
)


def _orgs(world, audience) -> set:
    # Sales see customers, purchasing suppliers, everyone else both.
    hidden = {"sales_rep": SUPPLIERS, "sales_manager": SUPPLIERS, "buyer": CUSTOMERS}
    if audience in _GROUPS["staff"]:
        seen = [a for a in EXTERNAL if a not in hidden.get(audience, ())]
        return {world.kestrel.pk, *(world.orgs[a].pk for a in seen)}
    return {world.orgs[audience].pk}


def _tracker_shows_only_progress(world, audience, response) -> None:
    """The tracker page: milestones and dates; no price, PO, document or person."""
    if response.status_code != 200:
        return
    html = response.content.decode()
    order = world.order_acme
    assert order.number in html and 'data-testid="order-progress"' in html
    line = order.lines.first()
    for secret in (
        "USD",
        f"{order.total:,.2f}",
        f"{line.unit_price:,.2f}",
        order.customer_po,
        order.customer.name,
        order.owner.last_name,
        world.users["acme"].last_name,
        "Signer",
        "<form",
        "/portal/",
        "/sales/",
    ):
        assert secret not in html, f"the tracker shows {secret!r}"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


STAFF_RAISE_CR = expect(
    **_others(422, sales_rep=200, sales_manager=200, engineer=200, planner=200), external=404
)


# -- the routes -------------------------------------------------------------------


def _review_inbox(app: str, department: str, role: str) -> dict[str, list[Case]]:
    """A department's inbox: staff read it, its role decides (the others get the page
    with the refusal, 403), contacts never see it."""
    review = f"review_acme_{department}"
    routes = {
        f"{app}:review-inbox": [Case("inbox", STAFF_ONLY, htmx=True)],
        f"{app}:review-decide": [
            Case(
                "GET",
                GET_405_STAFF_AREA,
                kwargs=lambda w: {"pk": getattr(w, review).pk, "name": "approve"},
            ),
            Case(
                f"approve acme's {department} review",
                expect(**_others(403, **{role: REDIRECT}), external=404),
                kwargs=lambda w: {"pk": getattr(w, review).pk, "name": "approve"},
                method="post",
            ),
            Case(
                f"reject acme's {department} review without a comment",
                expect(**_others(422, **{role: 422}), external=404),
                kwargs=lambda w: {"pk": getattr(w, review).pk, "name": "reject"},
                method="post",
                htmx_only=True,
            ),
        ],
    }
    if app in ("engineering", "manufacturing"):
        routes[f"{app}:home"] = [Case("home", expect(anon=REDIRECT, staff=REDIRECT, external=404))]
    return routes


ROUTES: dict[str, list[Case]] = {
    # accounts -------------------------------------------------------------------
    "accounts:login": [
        Case("form", expect(anon=200, staff=REDIRECT, external=REDIRECT)),
        Case(
            "wrong password",
            expect(anon=200, staff=REDIRECT, external=REDIRECT),
            method="post",
            data={"username": "sales.rep", "password": "wrong"},
        ),
    ],
    "accounts:logout": [
        Case("GET", expect(anon=405, staff=405, external=405)),
        Case("POST", expect(anon=LOGIN, staff=LOGIN, external=LOGIN), method="post"),
    ],
    "accounts:password-change": [
        Case("form", SIGNED_IN),
        Case("empty POST", SIGNED_IN, method="post", data={}),
    ],
    "accounts:password-change-done": [Case("page", SIGNED_IN)],
    "accounts:password-reset": [
        Case("form", EVERYONE),
        Case(
            "POST",
            expect(anon=REDIRECT, staff=REDIRECT, external=REDIRECT),
            method="post",
            data={"email": "acme.contact@acme.example"},
        ),
    ],
    "accounts:password-reset-done": [Case("page", EVERYONE)],
    "accounts:password-reset-confirm": [
        Case("bad link", EVERYONE, kwargs=lambda w: {"uidb64": "MQ", "token": "bad-token"})
    ],
    "accounts:password-reset-complete": [Case("page", EVERYONE)],
    "accounts:invitation-accept": [
        # The link is the invitee's key: whoever holds it sees whom it invites.
        Case(
            "acme invitation",
            EVERYONE,
            kwargs=lambda w: {"token": w.invitation_token_acme},
            shows_foreign=True,
        ),
        Case(
            "forged token",
            expect(anon=404, staff=404, external=404),
            kwargs=lambda w: {"token": "forged"},
        ),
    ],
    # core -----------------------------------------------------------------------
    "core:dashboard": [
        Case("dashboard", expect(staff=200, external=REDIRECT), htmx=True),
    ],
    "core:notification-list": [Case("list", SIGNED_IN, htmx=True)],
    "core:notification-mark-read": [
        Case("GET", expect(staff=405, external=405)),
        Case("POST", expect(staff=REDIRECT, external=REDIRECT), method="post"),
    ],
    # Open to everyone; 503 when a backing service is slow or down (a busy test
    # machine), which says nothing about access.
    "core:healthz": [
        Case("health", expect(anon=(200, 503), staff=(200, 503), external=(200, 503)))
    ],
    # sales ----------------------------------------------------------------------
    "sales:home": [Case("home", expect(anon=REDIRECT, staff=REDIRECT, external=404))],
    "sales:customer-list": [Case("list", SALES_DIRECTORY, htmx=True)],
    "sales:customer-detail": [
        Case("acme", SALES_DIRECTORY, kwargs=lambda w: {"pk": w.orgs["acme"].pk}, htmx=True),
        Case(
            "a supplier",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": w.orgs["delta"].pk},
        ),
    ],
    "sales:customer-invite": [
        Case(
            "GET",
            expect(staff=405, external=404),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk},
        ),
        Case(
            "empty form, acme",
            expect(
                staff=403, sales_rep=422, sales_manager=422, buyer=404, ops_admin=422, external=404
            ),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk},
            method="post",
            data={},
        ),
    ],
    "sales:customer-address-receiving": [
        Case(
            "GET",
            expect(staff=405, external=404),
            kwargs=lambda w: _site(w, "acme", "acme"),
        ),
        Case(
            "no day chosen, acme's site",
            expect(
                staff=403, sales_rep=422, sales_manager=422, buyer=404, ops_admin=422, external=404
            ),
            kwargs=lambda w: _site(w, "acme", "acme"),
            method="post",
            data={},
        ),
        Case(
            "borealis's site under acme",
            expect(
                staff=403, sales_rep=404, sales_manager=404, buyer=404, ops_admin=404, external=404
            ),
            kwargs=lambda w: _site(w, "acme", "borealis"),
            method="post",
            data={},
        ),
    ],
    "sales:customer-invitation-withdraw": [
        Case(
            "acme invitation",
            expect(
                staff=403,
                sales_rep=REDIRECT,
                sales_manager=REDIRECT,
                buyer=404,
                ops_admin=REDIRECT,
                external=404,
            ),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk, "invitation_pk": w.invitation_acme.pk},
            method="post",
        ),
        Case(
            "borealis's invitation under acme",
            expect(
                staff=403, sales_rep=404, sales_manager=404, buyer=404, ops_admin=404, external=404
            ),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk, "invitation_pk": w.invitation_borealis.pk},
            method="post",
        ),
    ],
    # The customer filter's autocomplete: <option>s of the customers the user may see.
    "sales:customer-lookup": [Case("acme by name", STAFF_ONLY, query="?q=acme")],
    "sales:quote-list": [Case("list", STAFF_ONLY, htmx=True)],
    "sales:quote-pdf": [
        Case("acme sent", STAFF_ONLY, kwargs=_pk("quote_acme_sent")),
        Case("acme won, revision 0", STAFF_ONLY, kwargs=_pk("quote_acme_won"), query="?revision=0"),
        Case("acme being revised", STAFF_ONLY, kwargs=_pk("quote_acme_revised")),
        Case("never sent", expect(staff=404, external=404), kwargs=_pk("quote_acme_draft")),
        Case(
            "no such revision",
            expect(staff=404, external=404),
            kwargs=_pk("quote_acme_sent"),
            query="?revision=7",
        ),
    ],
    "sales:quote-detail": [
        Case("acme draft", STAFF_ONLY, kwargs=_pk("quote_acme_draft"), htmx=True),
        Case("acme sent", STAFF_ONLY, kwargs=_pk("quote_acme_sent")),
        Case(
            "no such quote",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": uuid.UUID(int=1)},
        ),
    ],
    "sales:quote-transition": [
        Case(
            "GET",
            GET_405_STAFF_AREA,
            kwargs=lambda w: {"pk": w.quote_acme_draft.pk, "name": "submit"},
        ),
        Case(
            "submit acme draft",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.quote_acme_draft.pk, "name": "submit"},
            method="post",
        ),
    ],
    "sales:quote-review-transition": [
        Case(
            "approve acme's open manufacturing review",
            expect(**_others(403, planner=REDIRECT), external=404),
            kwargs=lambda w: {
                "pk": w.quote_acme_in_review.pk,
                "review_pk": w.review_acme_open.pk,
                "name": "approve",
            },
            method="post",
        ),
    ],
    # inquiries, opportunities, pipeline, forecast (DESIGN §3: sales write, other
    # staff read, contacts 404) and the public inquiry form ------------------------
    "inquiry:form": [
        Case("form", EVERYONE),
        Case("empty POST", expect(anon=400, staff=400, external=400), method="post", data={}),
    ],
    "inquiry:thanks": [Case("page", EVERYONE)],
    "sales:inquiry-list": [Case("list", STAFF_ONLY, htmx=True)],
    "sales:inquiry-create": [
        Case("form", expect(**_others(403, sales_rep=200, sales_manager=200), external=404)),
        Case(
            "empty POST",
            expect(**_others(403, sales_rep=400, sales_manager=400), external=404),
            method="post",
            data={},
        ),
    ],
    "sales:inquiry-detail": [
        Case("new", STAFF_ONLY, kwargs=_pk("inquiry_new"), htmx=True),
        Case(
            "no such inquiry",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": uuid.UUID(int=1)},
        ),
    ],
    "sales:inquiry-update": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("inquiry_new")),
        Case(
            "empty POST",
            expect(**_others(403, sales_rep=400, sales_manager=400), external=404),
            kwargs=_pk("inquiry_new"),
            method="post",
            data={},
        ),
    ],
    "sales:inquiry-transition": [
        Case(
            "start qualifying",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.inquiry_new.pk, "name": "start_qualifying"},
            method="post",
        ),
        Case(
            "convert qualified",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.inquiry_qualified.pk, "name": "convert"},
            method="post",
        ),
    ],
    "sales:opportunity-list": [Case("list", STAFF_ONLY, htmx=True)],
    "sales:opportunity-detail": [
        Case("acme open", STAFF_ONLY, kwargs=_pk("opportunity_acme_open"), htmx=True),
        Case("acme quoting", STAFF_ONLY, kwargs=_pk("opportunity_acme_quoting")),
    ],
    "sales:opportunity-update": [
        Case(
            "empty POST",
            expect(**_others(403, sales_rep=400, sales_manager=400), external=404),
            kwargs=_pk("opportunity_acme_open"),
            method="post",
            data={},
        ),
    ],
    "sales:opportunity-quote-create": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("opportunity_acme_open")),
        Case(
            "new quote",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=_pk("opportunity_acme_open"),
            method="post",
        ),
    ],
    "sales:opportunity-transition": [
        Case(
            "lose with a reason",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.opportunity_acme_open.pk, "name": "lose"},
            method="post",
            data={"comment": "Went with a rival."},
        ),
    ],
    "sales:pipeline": [Case("board", STAFF_ONLY, htmx=True)],
    "sales:pipeline-move": [
        Case(
            "lose with a reason",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.opportunity_acme_open.pk, "name": "lose"},
            method="post",
            data={"comment": "Went with a rival."},
        ),
        Case(
            "start quoting without a quote (htmx)",
            expect(**_others(422), external=404),
            kwargs=lambda w: {"pk": w.opportunity_acme_open.pk, "name": "start_quoting"},
            method="post",
            htmx=True,
            htmx_only=True,
        ),
    ],
    "sales:forecast": [Case("forecast", STAFF_ONLY)],
    # The quote builder: sales write, other staff 403 (they read the quote page),
    # contacts 404; a plain form post answers with a redirect to the builder.
    "sales:quote-create": [
        Case("form", SALES_WRITE),
        Case(
            "create for acme",
            SALES_WRITE_POST,
            method="post",
            data=lambda w: {"customer": w.orgs["acme"].pk, "title": "Matrix quote"},
        ),
    ],
    "sales:quote-builder": [
        Case("acme draft", SALES_WRITE, kwargs=_pk("quote_acme_draft"), htmx=True),
        Case("acme sent, read-only", SALES_WRITE, kwargs=_pk("quote_acme_sent")),
        Case(
            "no such quote",
            expect(**_others(403, sales_rep=404, sales_manager=404), external=404),
            kwargs=lambda w: {"pk": uuid.UUID(int=1)},
        ),
    ],
    "sales:quote-details-update": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("quote_acme_draft")),
        Case(
            "acme draft's details",
            SALES_WRITE_POST,
            kwargs=_pk("quote_acme_draft"),
            method="post",
            data=lambda w: {
                "quote-version": _draft_version(w),
                "quote-title": "Matrix title",
                "quote-valid_until": w.quote_acme_draft.valid_until.isoformat(),
            },
        ),
    ],
    "sales:quote-line-preview": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("quote_acme_draft")),
        Case(
            "preview on acme draft",
            SALES_WRITE,
            kwargs=_pk("quote_acme_draft"),
            method="post",
            data=lambda w: _builder_line(w),
            htmx=True,
        ),
    ],
    "sales:quote-line-add": [
        Case(
            "add to acme draft",
            SALES_WRITE_POST,
            kwargs=_pk("quote_acme_draft"),
            method="post",
            data=lambda w: _builder_line(w),
        ),
    ],
    "sales:quote-line-update": [
        Case(
            "edit acme draft's line",
            SALES_WRITE_POST,
            kwargs=_pk("quote_acme_draft", ("line_pk", "line_acme_draft.pk")),
            method="post",
            data=lambda w: _builder_line(w),
        ),
    ],
    "sales:quote-line-delete": [
        Case(
            "GET",
            GET_405_STAFF_AREA,
            kwargs=_pk("quote_acme_draft", ("line_pk", "line_acme_draft.pk")),
        ),
        Case(
            "remove acme draft's line",
            SALES_WRITE_POST,
            kwargs=_pk("quote_acme_draft", ("line_pk", "line_acme_draft.pk")),
            method="post",
            data=lambda w: {"version": _draft_version(w)},
        ),
    ],
    "sales:order-list": [Case("list", STAFF_ONLY, htmx=True)],
    "sales:order-detail": [Case("acme order", STAFF_ONLY, kwargs=_pk("order_acme"), htmx=True)],
    "sales:order-transition": [
        Case(
            "hold acme order",
            expect(
                **_others(403, sales_manager=REDIRECT, planner=REDIRECT, finance=REDIRECT),
                external=404,
            ),
            kwargs=lambda w: {"pk": w.order_acme.pk, "name": "hold"},
            method="post",
            data={"comment": "waiting for the site"},
        ),
    ],
    "sales:quote-change-request-create": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("quote_acme_draft")),
        Case(
            "raise on acme draft",
            expect(**_others(403, **dict.fromkeys(CR_RAISERS, REDIRECT)), external=404),
            kwargs=_pk("quote_acme_draft"),
            method="post",
            data={"new-title": "Lighter frame", "new-description": "Check the weight."},
        ),
        Case(
            "on acme sent",
            STAFF_RAISE_CR,
            kwargs=_pk("quote_acme_sent"),
            method="post",
            data={"new-title": "Blue paint", "new-description": "RAL 5015"},
            htmx_only=True,
        ),
    ],
    "sales:order-change-request-create": [
        Case(
            "raise on acme order",
            expect(**_others(403, **dict.fromkeys(CR_RAISERS, REDIRECT)), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"new-title": "Longer cable", "new-description": "Five metres."},
        ),
        Case(
            "on acme order",
            STAFF_RAISE_CR,
            kwargs=_pk("order_acme"),
            method="post",
            data={"new-title": "Longer cable", "new-description": "Five metres more"},
            htmx_only=True,
        ),
    ],
    "sales:change-request-assess": [
        Case(
            "acme's own, not assessing yet",
            expect(**_others(403, **dict.fromkeys(CR_RAISERS, 409)), external=404),
            kwargs=_pk("cr_acme_customer"),
            method="post",
            data=lambda w: {
                f"cr-{w.cr_acme_customer.pk}-{k}": "0"
                for k in ("cost_delta", "price_delta", "date_delta_days")
            },
        ),
        Case(
            "acme's request being assessed",
            STAFF_RAISE_CR,
            kwargs=_pk("cr_acme_assessing"),
            method="post",
            data=lambda w: {
                f"cr-{w.cr_acme_assessing.pk}-{field}": value
                for field, value in (
                    ("engineering_assessment", "Seal fits."),
                    ("cost_delta", "10"),
                    ("price_delta", "20"),
                    ("date_delta_days", "0"),
                )
            },
            htmx_only=True,
        ),
    ],
    "sales:change-request-transition": [
        Case(
            "GET",
            GET_405_STAFF_AREA,
            kwargs=lambda w: {"pk": w.cr_acme_customer.pk, "name": "start_assessment"},
        ),
        Case(
            "start assessing acme's own",
            expect(**_others(403, **dict.fromkeys(CR_RAISERS, REDIRECT)), external=404),
            kwargs=lambda w: {"pk": w.cr_acme_customer.pk, "name": "start_assessment"},
            method="post",
        ),
        # Staff never decide for the customer what changes its price.
        Case(
            "approve price change proposed to acme",
            expect(staff=403, external=404),
            kwargs=lambda w: {"pk": w.cr_acme_proposed.pk, "name": "approve"},
            method="post",
        ),
        Case(
            "approve minor change proposed to acme",
            expect(**_others(403, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.cr_acme_minor.pk, "name": "approve"},
            method="post",
        ),
    ],
    "sales:quote-copy": [
        Case(
            "GET",
            GET_405_STAFF_AREA,
            kwargs=_pk("quote_acme_sent"),
        ),
        # A sent quote is not copied (409 for sales); nothing is created for anyone.
        Case(
            "copy acme sent",
            expect(**_others(403, sales_rep=409, sales_manager=409), external=404),
            kwargs=_pk("quote_acme_sent"),
            method="post",
        ),
        Case(
            "acme declined",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=_pk("quote_acme_declined"),
            method="post",
        ),
    ],
    "sales:order-update": [
        Case(
            "acme order data",
            expect(**_others(422, sales_rep=200, sales_manager=200, finance=200), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data=lambda w: {
                "version": w.order_acme.version,
                "customer_po": "ACME-PO-1",
                "delivery_contact_name": "Dana Dock",
            },
            htmx_only=True,
        ),
    ],
    "sales:order-tracker-create": [
        Case(
            "on acme order",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"days": "30"},
        ),
    ],
    "sales:order-tracker-revoke": [
        Case(
            "acme's link",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "link_id": w.tracker_acme.pk},
            method="post",
        ),
    ],
    # Telling the customer a new date: sales only (apps.orders.services.releases).
    "sales:order-line-release": [
        Case(
            "acme line",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "line_id": w.orderline_acme.pk},
            method="post",
            data={"comment": "Sorry for the wait."},
        ),
        Case(
            "a line of another order",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "line_id": w.orderline_borealis.pk},
            method="post",
        ),
    ],
    "sales:order-release-all": [
        Case(
            "acme order",
            expect(**_others(403, sales_rep=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=_pk("order_acme"),
            method="post",
        ),
    ],
    "sales:at-risk": [
        Case(
            "list",
            AT_RISK_READERS,
            htmx=True,
        ),
        Case(
            "filtered",
            AT_RISK_READERS,
            query="?rep=&cause=receipt_moved",
        ),
    ],
    "sales:at-risk-release": [
        Case(
            "acme line",
            expect(
                **_others(404, sales_rep=200, sales_manager=200, planner=422, ops_admin=422),
                external=404,
            ),
            kwargs=lambda w: {"line_id": w.orderline_acme.pk},
            method="post",
            htmx_only=True,
        ),
    ],
    "sales:order-step": [
        Case(
            "credit override on acme order",
            expect(**_others(422, finance=200), external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "step": "credit-override"},
            method="post",
            data={"comment": "Paid in advance"},
            htmx_only=True,
        ),
        Case(
            "no such step",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "step": "no-such-step"},
            method="post",
        ),
    ],
    "sales:order-expedite": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("order_acme")),
        Case(
            "expedite acme order",
            expect(**_others(403, planner=REDIRECT, sales_manager=REDIRECT), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": "Customer line down"},
        ),
        Case(
            "without a reason",
            expect(**_others(400), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": " "},
        ),
    ],
    "sales:order-cancel": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("order_acme")),
        # Charges on a pending order are refused (400) for the sales manager: no change.
        Case(
            "cancel acme order with charges",
            expect(**_others(403, sales_manager=400), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": "Site closed", "charges": "5"},
        ),
        Case(
            "acme order",
            expect(**_others(403, sales_manager=REDIRECT), external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": "Site not ready", "charges": "0"},
        ),
    ],
    # customer portal ------------------------------------------------------------
    "customers:dashboard": [Case("dashboard", CUSTOMER_PORTAL)],
    "customers:organization": [Case("organization", CUSTOMER_PORTAL)],
    "customers:quote-list": [
        Case("list", CUSTOMER_PORTAL, htmx=True),
        Case("awaiting", CUSTOMER_PORTAL, query="?state=awaiting", htmx=True),
    ],
    "customers:quote-detail": [
        Case("acme sent", ACME_ONLY, kwargs=_pk("quote_acme_sent"), htmx=True),
        Case("acme converted", ACME_ONLY, kwargs=_pk("quote_acme_won")),
        Case("acme being revised", ACME_ONLY, kwargs=_pk("quote_acme_revised")),
        Case(
            "borealis sent",
            expect(staff=404, borealis=200, external=404),
            kwargs=_pk("quote_borealis_sent"),
        ),
        Case("acme draft", expect(staff=404, external=404), kwargs=_pk("quote_acme_draft")),
        Case(
            "acme in review",
            expect(staff=404, external=404),
            kwargs=_pk("quote_acme_in_review"),
        ),
        Case(
            "acme sent, every section",
            ACME_ONLY,
            kwargs=_pk("quote_acme_sent"),
            query="?sections=all",
        ),
    ],
    # The sections the page reads when revealed (never a draft's canaries, internal
    # change requests or internal timeline entries).
    "customers:quote-section": [
        *(
            Case(f"{name} of acme {which}", ACME_ONLY, kwargs=_section(f"quote_acme_{which}", name))
            for name in ("changes", "revisions", "history")
            for which in ("sent", "won", "revised")
        ),
        *(
            Case(
                f"{name} of acme draft",
                expect(staff=404, external=404),
                kwargs=_section("quote_acme_draft", name),
            )
            for name in ("changes", "revisions", "history")
        ),
        Case(
            "borealis sent",
            expect(staff=404, borealis=200, external=404),
            kwargs=_section("quote_borealis_sent", "history"),
        ),
        Case(
            "unknown section",
            expect(staff=404, external=404),
            kwargs=_section("quote_acme_sent", "notes"),
        ),
        Case(
            "POST",
            # suppliers never reach the customer portal (404), as on its other routes
            expect(anon=405, staff=405, customers=405, suppliers=404),
            kwargs=_section("quote_acme_sent", "changes"),
            method="post",
        ),
    ],
    "customers:quote-pdf": [
        Case("acme sent", ACME_ONLY, kwargs=_pk("quote_acme_sent")),
        Case("acme converted", ACME_ONLY, kwargs=_pk("quote_acme_won")),
        # The revision sent to acme, never the draft being revised (its canary title).
        Case("acme being revised", ACME_ONLY, kwargs=_pk("quote_acme_revised")),
        Case(
            "borealis sent",
            expect(staff=404, borealis=200, external=404),
            kwargs=_pk("quote_borealis_sent"),
        ),
        Case("acme draft", expect(staff=404, external=404), kwargs=_pk("quote_acme_draft")),
        Case(
            "acme in review",
            expect(staff=404, external=404),
            kwargs=_pk("quote_acme_in_review"),
        ),
        Case(
            "POST",
            expect(anon=405, staff=405, customers=405, suppliers=404),
            kwargs=_pk("quote_acme_sent"),
            method="post",
        ),
    ],
    "customers:quote-transition": [
        Case(
            "GET",
            expect(anon=405, staff=405, customers=405, suppliers=404),
            kwargs=lambda w: {"pk": w.quote_acme_sent.pk, "name": "decline"},
        ),
        Case(
            "decline acme sent",
            expect(staff=404, acme=REDIRECT, external=404),
            kwargs=lambda w: {"pk": w.quote_acme_sent.pk, "name": "decline"},
            method="post",
            data={"comment": "Too dear."},
        ),
        # Being revised: shown, but not for deciding.
        Case(
            "accept acme being revised",
            expect(staff=404, acme=409, external=404),
            kwargs=lambda w: {"pk": w.quote_acme_revised.pk, "name": "accept"},
            method="post",
        ),
    ],
    "customers:quote-change-request": [
        Case(
            "on acme sent",
            expect(staff=404, acme=REDIRECT, external=404),
            kwargs=_pk("quote_acme_sent"),
            method="post",
            data={"change-title": "Blue paint", "change-description": "RAL 5015 please."},
        ),
        Case(
            "on acme draft",
            expect(staff=404, external=404),
            kwargs=_pk("quote_acme_draft"),
            method="post",
            data={"change-title": "Blue paint", "change-description": "RAL 5015 please."},
        ),
    ],
    "customers:order-list": [Case("list", CUSTOMER_PORTAL, htmx=True)],
    "customers:order-detail": [
        Case("acme order", ACME_ONLY, kwargs=_pk("order_acme")),
        Case(
            "acme order, every section", ACME_ONLY, kwargs=_pk("order_acme"), query="?sections=all"
        ),
    ],
    # The sections the page reads when revealed (the canaries of the order's internal
    # notes, change requests and timeline never reach a customer).
    "customers:order-section": [
        *(
            Case(f"{name} of acme order", ACME_ONLY, kwargs=_section("order_acme", name))
            for name in ("changes", "trackers", "history")
        ),
        Case(
            "unknown section",
            expect(staff=404, external=404),
            kwargs=_section("order_acme", "notes"),
        ),
        Case(
            "POST",
            # suppliers never reach the customer portal (404), as on its other routes
            expect(anon=405, staff=405, customers=405, suppliers=404),
            kwargs=_section("order_acme", "changes"),
            method="post",
        ),
    ],
    "customers:order-tracker-create": [
        Case(
            "GET",
            expect(anon=405, staff=405, customers=405, suppliers=404),
            kwargs=_pk("order_acme"),
        ),
        Case(
            "on acme order",
            expect(staff=404, acme=REDIRECT, external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"days": "7"},
        ),
    ],
    "customers:order-tracker-revoke": [
        Case(
            "acme's link",
            expect(staff=404, acme=REDIRECT, external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "link_id": w.tracker_acme.pk},
            method="post",
        ),
        # A link of another order, named under acme's order: not found.
        Case(
            "borealis's link under acme's order",
            expect(staff=404, acme=404, external=404),
            kwargs=lambda w: {"pk": w.order_acme.pk, "link_id": w.tracker_borealis.pk},
            method="post",
        ),
    ],
    "tracker:order": [
        # A bearer link: anyone holding it sees the order's progress, nothing else.
        Case(
            "acme's open link",
            expect(anon=200, staff=200, external=200),
            kwargs=lambda w: {"token": w.tracker_token_acme},
            check=_tracker_shows_only_progress,
            shows_foreign=True,
        ),
        Case(
            "revoked link",
            expect(anon=404, staff=404, external=404),
            kwargs=lambda w: {"token": w.tracker_token_acme_revoked},
        ),
        Case(
            "expired link",
            expect(anon=404, staff=404, external=404),
            kwargs=lambda w: {"token": w.tracker_token_acme_expired},
        ),
        Case(
            "unknown token",
            expect(anon=404, staff=404, external=404),
            kwargs=lambda w: {"token": "x" * 43},
        ),
        Case(
            "POST",
            expect(anon=405, staff=405, external=405),
            kwargs=lambda w: {"token": w.tracker_token_acme},
            method="post",
        ),
    ],
    "customers:order-change-request": [
        Case(
            "on acme order",
            expect(staff=404, acme=REDIRECT, external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"change-title": "Later delivery", "change-description": "Two weeks later."},
        ),
    ],
    "customers:change-request-transition": [
        Case(
            "GET",
            expect(anon=405, staff=405, customers=405, suppliers=404),
            kwargs=lambda w: {"pk": w.cr_acme_proposed.pk, "name": "approve"},
        ),
        Case(
            "approve price change proposed to acme",
            expect(staff=404, acme=REDIRECT, external=404),
            kwargs=lambda w: {"pk": w.cr_acme_proposed.pk, "name": "approve"},
            method="post",
        ),
        Case(
            "approve minor change proposed to acme (Kestrel decides)",
            expect(staff=404, acme=403, external=404),
            kwargs=lambda w: {"pk": w.cr_acme_minor.pk, "name": "approve"},
            method="post",
        ),
        Case(
            "approve staff-raised, not proposed",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": w.cr_acme_internal.pk, "name": "approve"},
            method="post",
        ),
    ],
    # supply and capacity (issue 9) ------------------------------------------------
    "suppliers:receipt-list": [Case("receipts", STAFF_ONLY, htmx=True)],
    "suppliers:receipt-add": [
        Case("GET", GET_405_STAFF_AREA),
        Case(
            "empty form",
            expect(**_others(403, buyer=400, ops_admin=400), external=404),
            method="post",
            data={},
        ),
    ],
    "suppliers:receipt-move": [
        Case("GET", GET_405_STAFF_AREA),
        Case(
            "to the past",
            expect(**_others(403, buyer=400, ops_admin=400), external=404),
            method="post",
            data=lambda w: {**_receipt(w), "new_date": "2000-01-01"},
        ),
    ],
    "suppliers:receipt-cancel": [
        Case("GET", GET_405_STAFF_AREA),
        Case(
            "a purchase order that owes nothing",
            expect(**_others(403, buyer=400, ops_admin=400), external=404),
            method="post",
            data=lambda w: {**_receipt(w), "reference": "PO-NONE"},
        ),
    ],
    "suppliers:receipt-receive": [
        Case("GET", GET_405_STAFF_AREA),
        Case(
            "zero received",
            expect(**_others(403, buyer=400, ops_admin=400), external=404),
            method="post",
            data=lambda w: {**_receipt(w), "quantity": "0"},
        ),
    ],
    "suppliers:part-list": [Case("parts", STAFF_ONLY, htmx=True)],
    "suppliers:part-detail": [
        Case("motor", STAFF_ONLY, kwargs=_pk("motor")),
        Case(
            "unknown part", expect(staff=404, external=404), kwargs=lambda w: {"pk": uuid.uuid4()}
        ),
    ],
    "manufacturing:work-center-list": [Case("work centers", STAFF_ONLY)],
    "manufacturing:work-center-detail": [
        Case("assembly", STAFF_ONLY, kwargs=_pk("assy"), htmx=True),
    ],
    "manufacturing:work-center-capacity": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("assy")),
        Case(
            "empty form",
            expect(**_others(403, planner=400, ops_admin=400), external=404),
            kwargs=_pk("assy"),
            method="post",
            data={},
        ),
    ],
    "manufacturing:work-center-closure-add": [
        Case("GET", GET_405_STAFF_AREA, kwargs=_pk("assy")),
        Case(
            "empty form",
            expect(**_others(403, planner=400, ops_admin=400), external=404),
            kwargs=_pk("assy"),
            method="post",
            data={},
        ),
    ],
    "manufacturing:work-center-closure-remove": [
        Case(
            "GET",
            GET_405_STAFF_AREA,
            kwargs=lambda w: {"pk": w.assy.pk, "closure_pk": w.assy_past_closure.pk},
        ),
        Case(
            "a past closure",
            expect(**_others(403, planner=400, ops_admin=400), external=404),
            kwargs=lambda w: {"pk": w.assy.pk, "closure_pk": w.assy_past_closure.pk},
            method="post",
        ),
    ],
    "sales:customer-quote-holds": [
        Case(
            "GET",
            expect(staff=405, external=404),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk},
        ),
        Case(
            "off (as it is), acme",
            expect(
                **_others(403, sales_manager=REDIRECT, ops_admin=REDIRECT, buyer=404),
                external=404,
            ),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk},
            method="post",
            data={},
        ),
    ],
    # purchasing and the supplier portal -----------------------------------------
    "suppliers:purchasing-home": [
        Case("home", expect(anon=REDIRECT, staff=REDIRECT, external=404))
    ],
    "suppliers:supplier-list": [Case("list", PURCHASING_DIRECTORY, htmx=True)],
    "suppliers:supplier-detail": [
        Case(
            "delta",
            PURCHASING_DIRECTORY,
            kwargs=lambda w: {"pk": w.orgs["delta"].pk},
            htmx=True,
        ),
        Case(
            "a customer",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk},
        ),
    ],
    "suppliers:supplier-invite": [
        Case(
            "empty form, delta",
            expect(
                staff=403, sales_rep=404, sales_manager=404, buyer=422, ops_admin=422, external=404
            ),
            kwargs=lambda w: {"pk": w.orgs["delta"].pk},
            method="post",
            data={},
        ),
    ],
    "suppliers:supplier-invitation-withdraw": [
        Case(
            "delta invitation",
            expect(
                staff=403,
                sales_rep=404,
                sales_manager=404,
                buyer=REDIRECT,
                ops_admin=REDIRECT,
                external=404,
            ),
            kwargs=lambda w: {"pk": w.orgs["delta"].pk, "invitation_pk": w.invitation_delta.pk},
            method="post",
        ),
    ],
    "suppliers:portal-dashboard": [Case("dashboard", SUPPLIER_PORTAL)],
    "suppliers:portal-organization": [Case("organization", SUPPLIER_PORTAL)],
    # API ------------------------------------------------------------------------
    "api-root": [Case("root", API_SIGNED_IN)],
    # Signed-in only in production (the schema maps the whole API).
    "api-schema": [Case("schema", API_SIGNED_IN)],
    "api-docs": [Case("docs", SIGNED_IN)],
    # Browsers ask for it before any page: it redirects to the static icon for everyone.
    "favicon": [Case("icon", expect(anon=REDIRECT, staff=REDIRECT, external=REDIRECT))],
    "api-token": [
        Case("GET", expect(anon=405, staff=405, external=405)),
        Case(
            "wrong password",
            expect(anon=400, staff=400, external=400),
            method="post",
            data={"username": "sales.rep", "password": "wrong"},
        ),
    ],
    "api-me": [Case("me", API_SIGNED_IN)],
    "organization-list": [
        Case("list", API_SIGNED_IN, check=lists_exactly(_orgs)),
    ],
    "organization-detail": [
        Case(
            "acme",
            expect(anon=401, staff=200, buyer=404, acme=200, external=404),
            kwargs=lambda w: {"pk": w.orgs["acme"].pk},
        ),
        Case(
            "delta",
            expect(anon=401, staff=200, sales_rep=404, sales_manager=404, delta=200, external=404),
            kwargs=lambda w: {"pk": w.orgs["delta"].pk},
        ),
    ],
    "product-list": [Case("list", API_SIGNED_IN)],
    "product-detail": [Case("skid", API_SIGNED_IN, kwargs=_pk("skid"))],
    "product-validate-configuration": [
        Case(
            "skid",
            API_SIGNED_IN,
            kwargs=_pk("skid"),
            method="post",
            data={"configuration": {}, "quantity": 1},
        ),
    ],
    "inquiry-list": [
        Case("list", API_STAFF_ONLY, check=lists_exactly(VISIBLE_INQUIRIES)),
        Case(
            "create",
            expect(anon=401, **_others(403, sales_rep=201, sales_manager=201), external=404),
            method="post",
            data={
                "contact_name": "Crm Person",
                "contact_email": "crm@cobalt.example",
                "subject": "Slurry pumps",
                "message": "Six slurry pumps.",
            },
        ),
    ],
    "inquiry-detail": [
        Case("new", API_STAFF_ONLY, kwargs=_pk("inquiry_new")),
        Case(
            "PATCH new",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=_pk("inquiry_new"),
            method="patch",
            data={"company_name": "Renamed"},
        ),
    ],
    "inquiry-transitions": [
        Case(
            "start qualifying",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=lambda w: {"pk": w.inquiry_new.pk, "name": "start_qualifying"},
            method="post",
        ),
        Case(
            "convert new (wrong state)",
            expect(anon=401, staff=409, external=404),
            kwargs=lambda w: {"pk": w.inquiry_new.pk, "name": "convert"},
            method="post",
        ),
    ],
    "opportunity-list": [
        Case("list", API_STAFF_ONLY, check=lists_exactly(VISIBLE_OPPORTUNITIES)),
        Case(
            "create for acme",
            expect(anon=401, **_others(403, sales_rep=201, sales_manager=201), external=404),
            method="post",
            data=lambda w: {
                "customer": str(w.orgs["acme"].pk),
                "title": "New",
                "expected_close_date": "2031-01-31",
            },
        ),
    ],
    "opportunity-detail": [
        Case("acme open", API_STAFF_ONLY, kwargs=_pk("opportunity_acme_open")),
        Case(
            "PATCH acme open",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=_pk("opportunity_acme_open"),
            method="patch",
            data={"probability": 60},
        ),
    ],
    "opportunity-transitions": [
        Case(
            "lose acme open",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=lambda w: {"pk": w.opportunity_acme_open.pk, "name": "lose"},
            method="post",
            data={"comment": "Went with a rival."},
        ),
        Case(
            "win acme quoting (no accepted quote)",
            expect(anon=401, **_others(403, sales_rep=409, sales_manager=409), external=404),
            kwargs=lambda w: {"pk": w.opportunity_acme_quoting.pk, "name": "win"},
            method="post",
        ),
    ],
    "quote-list": [
        Case("list", API_SIGNED_IN, check=lists_exactly(VISIBLE_QUOTES)),
        # The router's format-suffix twin of every route answers alike.
        Case(
            "list as .json",
            API_SIGNED_IN,
            path=lambda w: "/api/v1/quotes.json",
            check=lists_exactly(VISIBLE_QUOTES),
        ),
        Case(
            "create for acme",
            expect(anon=401, **_others(403, sales_rep=201, sales_manager=201), external=403),
            method="post",
            data=lambda w: {"customer": str(w.orgs["acme"].pk), "title": "New"},
        ),
    ],
    "quote-detail": [
        Case("acme draft", API_STAFF_ONLY, kwargs=_pk("quote_acme_draft")),
        # The API shows quotes from `sent` on, and quotes being revised as their last
        # sent revision (as the portal does).
        Case(
            "acme being revised",
            expect(anon=401, staff=200, acme=200, external=404),
            kwargs=_pk("quote_acme_revised"),
        ),
        Case(
            "acme sent",
            expect(anon=401, staff=200, acme=200, external=404),
            kwargs=_pk("quote_acme_sent"),
        ),
        Case(
            "borealis sent",
            expect(anon=401, staff=200, borealis=200, external=404),
            kwargs=_pk("quote_borealis_sent"),
        ),
        Case(
            "PATCH acme draft",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=_pk("quote_acme_draft"),
            method="patch",
            data={"title": "Renamed"},
        ),
        Case(
            "PATCH acme sent",
            expect(
                anon=401, **_others(403, sales_rep=409, sales_manager=409), acme=403, external=404
            ),
            kwargs=_pk("quote_acme_sent"),
            method="patch",
            data={"title": "Renamed"},
        ),
        Case(
            "DELETE acme draft",
            expect(anon=401, staff=405, external=405),
            kwargs=_pk("quote_acme_draft"),
            method="delete",
        ),
    ],
    "quote-add-line": [
        Case(
            "on acme draft",
            expect(anon=401, **_others(403, sales_rep=201, sales_manager=201), external=404),
            kwargs=_pk("quote_acme_draft"),
            method="post",
            data=lambda w: {"product": str(w.skid.pk), "quantity": 1},
        ),
    ],
    "quote-line": [
        Case(
            "PATCH acme draft line",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=lambda w: {"pk": w.quote_acme_draft.pk, "line_id": w.line_acme_draft.pk},
            method="patch",
            data={"quantity": 2},
        ),
        Case(
            "DELETE acme draft line",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=lambda w: {"pk": w.quote_acme_draft.pk, "line_id": w.line_acme_draft.pk},
            method="delete",
        ),
        Case(
            "PATCH acme sent line",
            expect(
                anon=401, **_others(403, sales_rep=409, sales_manager=409), acme=403, external=404
            ),
            kwargs=lambda w: {"pk": w.quote_acme_sent.pk, "line_id": w.line_acme_sent.pk},
            method="patch",
            data={"quantity": 2},
        ),
    ],
    "quote-revisions": [
        Case("acme sent", API_STAFF_ONLY, kwargs=_pk("quote_acme_sent")),
    ],
    "quote-review-transition": [
        Case(
            "approve acme's open manufacturing review",
            expect(anon=401, **_others(403, planner=200), external=404),
            kwargs=lambda w: {
                "pk": w.quote_acme_in_review.pk,
                "review_id": w.review_acme_open.pk,
                "name": "approve",
            },
            method="post",
        ),
    ],
    "quote-transitions": [
        Case(
            "accept acme sent",
            expect(
                anon=401, **_others(403, sales_rep=200, sales_manager=200), acme=200, external=404
            ),
            kwargs=lambda w: {"pk": w.quote_acme_sent.pk, "name": "accept"},
            method="post",
            data={"customer_po": "ACME-PO-9", "signer_name": "Ann Acme", "terms_accepted": True},
        ),
        # A customer signs: without the PO, the name and the terms, 400 with field errors.
        Case(
            "accept acme sent unsigned",
            expect(
                anon=401, **_others(403, sales_rep=200, sales_manager=200), acme=400, external=404
            ),
            kwargs=lambda w: {"pk": w.quote_acme_sent.pk, "name": "accept"},
            method="post",
        ),
        Case(
            "submit acme draft",
            expect(anon=401, **_others(403, sales_rep=200, sales_manager=200), external=404),
            kwargs=lambda w: {"pk": w.quote_acme_draft.pk, "name": "submit"},
            method="post",
        ),
        # Shown to the customer, but not for deciding until the new revision is sent.
        Case(
            "accept acme being revised",
            expect(anon=401, **_others(409), acme=409, external=404),
            kwargs=lambda w: {"pk": w.quote_acme_revised.pk, "name": "accept"},
            method="post",
        ),
    ],
    "quote-copy": [
        Case(
            "copy acme sent",
            expect(
                anon=401, **_others(403, sales_rep=409, sales_manager=409), acme=403, external=404
            ),
            kwargs=_pk("quote_acme_sent"),
            method="post",
        ),
        Case(
            "acme declined",
            expect(
                anon=401, **_others(403, sales_rep=201, sales_manager=201), acme=403, external=404
            ),
            kwargs=_pk("quote_acme_declined"),
            method="post",
        ),
    ],
    "order-list": [Case("list", API_SIGNED_IN, check=lists_exactly(VISIBLE_ORDERS))],
    "order-detail": [
        Case(
            "acme order",
            expect(anon=401, staff=200, acme=200, external=404),
            kwargs=_pk("order_acme"),
        ),
        Case(
            "PATCH acme order",
            expect(
                anon=401,
                **_others(403, sales_rep=200, sales_manager=200, finance=200),
                acme=403,
                external=404,
            ),
            kwargs=_pk("order_acme"),
            method="patch",
            data={"delivery_contact_name": "Dana Dock"},
        ),
    ],
    "order-transitions": [
        Case(
            "hold acme order",
            expect(
                anon=401,
                **_others(403, sales_manager=200, planner=200, finance=200),
                acme=403,
                external=404,
            ),
            kwargs=lambda w: {"pk": w.order_acme.pk, "name": "hold"},
            method="post",
            data={"comment": "waiting for the site"},
        ),
    ],
    "order-release-line-forecast": [
        Case(
            "acme line",
            expect(
                anon=401,
                **_others(403, sales_rep=200, sales_manager=200),
                acme=403,
                external=404,
            ),
            kwargs=lambda w: {"pk": w.order_acme.pk, "line_id": w.orderline_acme.pk},
            method="post",
            data={"comment": "Sorry for the wait."},
        ),
    ],
    "order-release-forecasts": [
        Case(
            "acme order",
            expect(
                anon=401,
                **_others(403, sales_rep=200, sales_manager=200),
                acme=403,
                external=404,
            ),
            kwargs=_pk("order_acme"),
            method="post",
        ),
    ],
    "order-expedite": [
        Case(
            "expedite acme order",
            expect(
                anon=401,
                **_others(403, planner=200, sales_manager=200),
                acme=403,
                external=404,
            ),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": "Customer line down"},
        ),
    ],
    "order-cancel": [
        Case(
            "cancel acme order with charges",
            expect(anon=401, **_others(403, sales_manager=400), acme=403, external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": "Site closed", "charges": "5"},
        ),
        Case(
            "acme order",
            expect(anon=401, **_others(403, sales_manager=200), acme=403, external=404),
            kwargs=_pk("order_acme"),
            method="post",
            data={"reason": "Site not ready"},
        ),
    ],
    "change-request-list": [
        Case("list", API_SIGNED_IN, check=lists_exactly(VISIBLE_CRS)),
        Case(
            "create on acme sent quote",
            expect(
                anon=401,
                **_others(403, sales_rep=201, sales_manager=201, engineer=201, planner=201),
                acme=201,
                external=404,
            ),
            method="post",
            data=lambda w: {
                "quote": str(w.quote_acme_sent.pk),
                "title": "Blue paint",
                "description": "RAL 5015",
            },
        ),
    ],
    "change-request-detail": [
        Case(
            "acme's own",
            expect(anon=401, staff=200, acme=200, external=404),
            kwargs=_pk("cr_acme_customer"),
        ),
        Case(
            "staff-raised on acme's draft quote",
            API_STAFF_ONLY,
            kwargs=_pk("cr_acme_on_draft"),
        ),
        Case(
            "staff-raised on acme's order, not proposed",
            API_STAFF_ONLY,
            kwargs=_pk("cr_acme_internal"),
        ),
        Case(
            "proposed to acme",
            expect(anon=401, staff=200, acme=200, external=404),
            kwargs=_pk("cr_acme_proposed"),
        ),
        Case(
            "PATCH acme's own (not assessing)",
            expect(
                anon=401,
                **_others(403, sales_rep=409, sales_manager=409, engineer=409, planner=409),
                acme=403,
                external=404,
            ),
            kwargs=_pk("cr_acme_customer"),
            method="patch",
            data={"engineering_assessment": "fine"},
        ),
    ],
    "change-request-transitions": [
        Case(
            "start assessing acme's own",
            expect(
                anon=401,
                **_others(403, sales_rep=200, sales_manager=200, engineer=200, planner=200),
                acme=403,
                external=404,
            ),
            kwargs=lambda w: {"pk": w.cr_acme_customer.pk, "name": "start_assessment"},
            method="post",
        ),
        # A proposal that changes the price is the customer's to decide, and only theirs.
        Case(
            "approve price change proposed to acme",
            expect(anon=401, staff=403, acme=200, external=404),
            kwargs=lambda w: {"pk": w.cr_acme_proposed.pk, "name": "approve"},
            method="post",
        ),
        Case(
            "approve minor change proposed to acme",
            expect(anon=401, **_others(403, sales_manager=200), acme=403, external=404),
            kwargs=lambda w: {"pk": w.cr_acme_minor.pk, "name": "approve"},
            method="post",
        ),
    ],
    "accounts:account": [Case("page", SIGNED_IN)],
    "accounts:token-create": [
        Case("GET", expect(staff=405, external=405)),
        Case("POST", SIGNED_IN, method="post", data={"name": "ci"}),
    ],
    "accounts:token-revoke": [
        Case(
            "the sales rep's token",
            expect(staff=404, sales_rep=REDIRECT, external=404),
            kwargs=_pk("token_sales_rep"),
            method="post",
        ),
    ],
    # review inboxes --------------------------------------------------------------
    **_review_inbox("engineering", "engineering", "engineer"),
    **_review_inbox("manufacturing", "manufacturing", "planner"),
    # The re-plan page: planners, sales managers and ops admins; other staff 403.
    "manufacturing:replan": [
        Case("page", REPLANNERS_PAGE, htmx=True),
        Case("a run's moves", REPLANNERS_PAGE, query="?run=1&page=2"),
    ],
    "manufacturing:replan-start": [
        Case("GET", GET_405_STAFF_AREA),
        Case(
            "start a full run",
            expect(
                **_others(403, planner=REDIRECT, sales_manager=REDIRECT, ops_admin=REDIRECT),
                external=404,
            ),
            method="post",
        ),
    ],
    **_review_inbox("suppliers", "purchasing", "buyer"),
    **_review_inbox("sales", "pricing", "sales_manager"),
    # comments and their files ----------------------------------------------------
    # Staff read every comment; a customer the customer-visible ones of its own
    # quotes and orders (the canaries of internal comments and files must not show).
    **{
        f"sales:{noun}-comments": [
            Case("thread", STAFF_ONLY, kwargs=_pk(obj), htmx=True),
            Case("older", STAFF_ONLY, kwargs=_pk(obj), query="?before=999999999", htmx=True),
            Case(
                "post internal",
                expect(staff=200, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": "Checked with @sales.rep", "audience": "internal"},
                htmx_only=True,
            ),
            Case(
                "post empty",
                expect(staff=422, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": ""},
                htmx_only=True,
            ),
        ]
        for noun, obj in (("quote", "quote_acme_sent"), ("order", "order_acme"))
    },
    **{
        f"customers:{noun}-comments": [
            Case("thread", ACME_ONLY, kwargs=_pk(obj), htmx=True),
            Case(
                "of acme's draft", expect(staff=404, external=404), kwargs=_pk("quote_acme_draft")
            ),
            Case(
                "post",
                expect(staff=404, acme=200, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": "When will it ship?", "audience": "internal"},
                htmx_only=True,
            ),
            Case(
                "plain post",
                expect(staff=404, acme=REDIRECT, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": "Thanks"},
            ),
        ]
        for noun, obj in (("quote", "quote_acme_sent"), ("order", "order_acme"))
    },
    "core:attachment-download": [
        Case(
            "acme's shared quote file",
            expect(staff=200, acme=200, external=404),
            kwargs=_pk("file_acme_quote_shared"),
        ),
        Case(
            "acme's internal quote file",
            expect(staff=200, external=404),
            kwargs=_pk("file_acme_quote_internal"),
        ),
        Case(
            "acme's shared order file",
            expect(staff=200, acme=200, external=404),
            kwargs=_pk("file_acme_order_shared"),
        ),
        Case(
            "acme's internal order file",
            expect(staff=200, external=404),
            kwargs=_pk("file_acme_order_internal"),
        ),
        Case(
            "no such file",
            expect(staff=404, external=404),
            kwargs=lambda w: {"pk": uuid.UUID(int=7)},
        ),
        Case(
            "POST",
            expect(staff=405, external=405),
            method="post",
            kwargs=_pk("file_acme_quote_shared"),
        ),
    ],
    **{
        f"{noun}-comments": [
            Case("list", expect(anon=401, staff=200, acme=200, external=404), kwargs=_pk(obj)),
            Case(
                "post",
                expect(anon=401, staff=201, acme=201, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": "Noted."},
            ),
            Case(
                "post internal",
                expect(anon=401, staff=201, acme=400, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": "Noted.", "audience": "internal"},
            ),
            Case(
                "post empty",
                expect(anon=401, staff=400, acme=400, external=404),
                kwargs=_pk(obj),
                method="post",
                data={"text": " "},
            ),
        ]
        for noun, obj in (("quote", "quote_acme_sent"), ("order", "order_acme"))
    },
    **{
        f"{noun}-comment-file": [
            Case(
                "acme's shared file",
                expect(anon=401, staff=200, acme=200, external=404),
                kwargs=lambda w, o=obj, n=noun: {
                    "pk": getattr(w, o).pk,
                    "file_id": getattr(w, f"file_acme_{n}_shared").pk,
                },
            ),
            Case(
                "acme's internal file",
                expect(anon=401, staff=200, external=404),
                kwargs=lambda w, o=obj, n=noun: {
                    "pk": getattr(w, o).pk,
                    "file_id": getattr(w, f"file_acme_{n}_internal").pk,
                },
            ),
            Case(
                "borealis's shared file under acme's object",
                expect(anon=401, staff=404, external=404),
                kwargs=lambda w, o=obj, n=noun: {
                    "pk": getattr(w, o).pk,
                    "file_id": getattr(w, f"file_borealis_{n}_shared").pk,
                },
            ),
        ]
        for noun, obj in (("quote", "quote_acme_sent"), ("order", "order_acme"))
    },
}


# -- the admin: one gate (is_staff) for every model admin -------------------------

ADMIN_GATE = expect(anon=LOGIN, **_others(LOGIN, ops_admin=200), external=404)
# Per-object admin views are asked by a sample of the audiences (the gate is one
# decorator, asked by everyone on the index and on every changelist).
ADMIN_SAMPLE = ("anon", "sales_rep", "finance", "ops_admin", "acme", "delta")
ADMIN_SITE_ROUTES: dict[str, list[Case]] = {
    "admin:index": [Case("index", ADMIN_GATE)],
    "admin:login": [
        Case("form", expect(anon=200, **_others(200, ops_admin=REDIRECT), external=404))
    ],
    # Only staff are logged out here (to our login page); anyone else goes to the index.
    "admin:logout": [
        Case(
            "POST",
            expect(anon=REDIRECT, **_others(REDIRECT, ops_admin=LOGIN), external=404),
            method="post",
        ),
    ],
    "admin:password_change": [Case("form", ADMIN_GATE)],
    "admin:password_change_done": [Case("page", ADMIN_GATE)],
    "admin:jsi18n": [Case("catalog", ADMIN_GATE)],
    "admin:autocomplete": [
        Case("no field", expect(anon=LOGIN, **_others(LOGIN, ops_admin=403), external=404))
    ],
    "admin:view_on_site": [
        # Organizations have no public page: 404 even for ops.
        Case(
            "acme",
            expect(anon=LOGIN, **_others(LOGIN, ops_admin=404), external=404),
            kwargs=lambda w: {
                "content_type_id": w.organization_content_type.pk,
                "object_id": str(w.orgs["acme"].pk),
            },
        )
    ],
    "admin:auth_user_password_change": [
        Case(
            "sales rep",
            ADMIN_GATE,
            kwargs=lambda w: {"id": w.users["sales_rep"].pk},
            audiences=ADMIN_SAMPLE,
        )
    ],
    "<unnamed /admin/(?P<url>.*)$>": [
        Case(
            "unknown admin page",
            expect(anon=LOGIN, **_others(LOGIN, ops_admin=404), external=404),
            path=lambda w: "/admin/no-such-page/",
        )
    ],
}
for _model in ("part", "supplierpart"):
    ADMIN_SITE_ROUTES |= {
        f"admin:catalog_{_model}_import": [Case("form", ADMIN_GATE, audiences=ADMIN_SAMPLE)],
        f"admin:catalog_{_model}_export": [Case("form", ADMIN_GATE, audiences=ADMIN_SAMPLE)],
        f"admin:catalog_{_model}_process_import": [
            Case(
                "GET",
                expect(anon=LOGIN, **_others(LOGIN, ops_admin=405), external=404),
                audiences=ADMIN_SAMPLE,
            )
        ],
    }
# What ops get where a model admin refuses a view by design (immutable logs,
# invitations made only through the directory, stock entries only reversed).
ADMIN_OVERRIDES: dict[str, Status] = {
    "admin:axes_accessattempt_add": 403,
    "admin:axes_accesslog_add": 403,
    "admin:axes_accessfailurelog_add": 403,
    "admin:core_activity_add": 403,
    "admin:core_activity_delete": 403,
    "admin:accounts_invitation_add": 403,
    "admin:accounts_apitoken_add": 403,
    "admin:catalog_stockentry_delete": 403,
    # Quotes, orders and change requests are made and ended only by the workflow.
    **{
        f"admin:orders_{model}_{view}": 403
        for model in ("quote", "salesorder", "orderline", "changerequest")
        for view in ("add", "delete")
    },
    # Inquiries and opportunities too (the public form, the API, sales' pages).
    **{
        f"admin:sales_{model}_{view}": 403
        for model in ("inquiry", "opportunity")
        for view in ("add", "delete")
    },
}


# More rows for a view, where one row says too little.
ADMIN_EXTRA_CASES: dict[str, list[Case]] = {}


def _admin_object(model) -> Callable[[Any], Any]:
    def find(world):
        obj = world.admin_objects.get(model) or model._default_manager.order_by("pk").first()
        assert obj is not None, f"add a {model.__name__} to the access matrix's world"
        return obj

    return find


def _admin_routes() -> dict[str, list[Case]]:
    routes = dict(ADMIN_SITE_ROUTES)
    app_labels = set()
    for model in admin.site._registry:
        meta = model._meta
        info = f"admin:{meta.app_label}_{meta.model_name}"
        app_labels.add(meta.app_label)
        obj = _admin_object(model)
        routes[f"{info}_changelist"] = [Case("list", ADMIN_GATE)]
        routes[f"{info}_add"] = [Case("form", ADMIN_GATE, audiences=ADMIN_SAMPLE)]
        for view in ("change", "history", "delete"):
            routes[f"{info}_{view}"] = [
                Case(
                    "a row",
                    ADMIN_GATE,
                    kwargs=lambda w, obj=obj: {"object_id": str(obj(w).pk)},
                    audiences=ADMIN_SAMPLE,
                )
            ]
        # Django's old-style object URL redirects to the change page.
        routes[f"<unnamed /admin/{meta.app_label}/{meta.model_name}/<path:object_id>/>"] = [
            Case(
                "a row",
                expect(anon=LOGIN, **_others(LOGIN, ops_admin=REDIRECT), external=404),
                path=lambda w, obj=obj, m=meta: f"/admin/{m.app_label}/{m.model_name}/{obj(w).pk}/",
                audiences=ADMIN_SAMPLE,
            )
        ]
    routes["admin:app_list"] = [
        Case(label, ADMIN_GATE, kwargs=lambda w, label=label: {"app_label": label})
        for label in sorted(app_labels)
    ]
    for name, cases in ADMIN_EXTRA_CASES.items():
        routes[name] = routes[name] + cases
    for name, status in ADMIN_OVERRIDES.items():
        routes[name] = [
            replace(c, expected={**c.expected, "ops_admin": status}) for c in routes[name]
        ]
    return routes


ADMIN_ROUTES = _admin_routes()
