"""Demo company for Kestrel Pump & Control (DESIGN §7). Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group

from apps.accounts.models import (
    Address,
    AddressKind,
    Membership,
    Organization,
    OrganizationKind,
    User,
)
from apps.accounts.roles import Role
from apps.accounts.services import membership_create, organization_ensure_group

DEMO_PASSWORD = "tandem-demo"

ORGANIZATIONS = [
    # code, name, kind, terms, credit limit, email, (line1, city, region, postal, country)
    (
        "KESTREL",
        "Kestrel Pump & Control",
        OrganizationKind.INTERNAL,
        "net30",
        None,
        "office@kestrel.example",
        ("1200 Foundry Road", "Dayton", "OH", "45402", "US"),
    ),
    (
        "ACME",
        "Acme Water Utility",
        OrganizationKind.CUSTOMER,
        "net45",
        Decimal("750000"),
        "purchasing@acme-water.example",
        ("88 Reservoir Way", "Springfield", "IL", "62701", "US"),
    ),
    (
        "BOREALIS",
        "Borealis Brewing",
        OrganizationKind.CUSTOMER,
        "net30",
        Decimal("400000"),
        "ops@borealis-brewing.example",
        ("5 Malthouse Lane", "Duluth", "MN", "55802", "US"),
    ),
    (
        "COBALT",
        "Cobalt Mining",
        OrganizationKind.CUSTOMER,
        "net60",
        Decimal("1200000"),
        "procurement@cobalt-mining.example",
        ("1 Pit Head Road", "Elko", "NV", "89801", "US"),
    ),
    (
        "DELTA",
        "Delta Motors",
        OrganizationKind.SUPPLIER,
        "net30",
        None,
        "sales@delta-motors.example",
        ("400 Armature Ave", "Milwaukee", "WI", "53202", "US"),
    ),
    (
        "EVERGREEN",
        "Evergreen Castings",
        OrganizationKind.SUPPLIER,
        "net45",
        None,
        "orders@evergreen-castings.example",
        ("77 Cupola Street", "Birmingham", "AL", "35203", "US"),
    ),
    (
        "FULCRUM",
        "Fulcrum Electronics",
        OrganizationKind.SUPPLIER,
        "net30",
        None,
        "cm@fulcrum-electronics.example",
        ("2300 Circuit Drive", "Austin", "TX", "78701", "US"),
    ),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    org: str
    role: str
    title: str
    is_staff: bool = False


USERS = [
    DemoUser("sam.sales", "Sam", "Sales", "KESTREL", Role.SALES_REP, "Sales representative"),
    DemoUser("maria.manager", "Maria", "Manager", "KESTREL", Role.SALES_MANAGER, "Sales manager"),
    DemoUser("erin.engineer", "Erin", "Engineer", "KESTREL", Role.ENGINEER, "Application engineer"),
    DemoUser("pat.planner", "Pat", "Planner", "KESTREL", Role.PLANNER, "Production planner"),
    DemoUser("quinn.quality", "Quinn", "Quality", "KESTREL", Role.QUALITY, "Quality engineer"),
    DemoUser("bob.buyer", "Bob", "Buyer", "KESTREL", Role.BUYER, "Buyer"),
    DemoUser("wes.warehouse", "Wes", "Warehouse", "KESTREL", Role.WAREHOUSE, "Shipping lead"),
    DemoUser("fiona.finance", "Fiona", "Finance", "KESTREL", Role.FINANCE, "Controller"),
    DemoUser("olivia.ops", "Olivia", "Ops", "KESTREL", Role.OPS_ADMIN, "Operations admin", True),
    DemoUser("acme.buyer", "Alex", "Acme", "ACME", Role.CUSTOMER_CONTACT, "Procurement lead"),
    DemoUser("borealis.buyer", "Bea", "Borealis", "BOREALIS", Role.CUSTOMER_CONTACT, "Brewmaster"),
    DemoUser("cobalt.buyer", "Cole", "Cobalt", "COBALT", Role.CUSTOMER_CONTACT, "Plant engineer"),
    DemoUser("delta.rep", "Dana", "Delta", "DELTA", Role.SUPPLIER_CONTACT, "Account manager"),
    DemoUser("evergreen.rep", "Evan", "Evergreen", "EVERGREEN", Role.SUPPLIER_CONTACT, "Sales"),
    DemoUser("fulcrum.rep", "Fay", "Fulcrum", "FULCRUM", Role.SUPPLIER_CONTACT, "Program manager"),
]


def seed_organizations() -> dict[str, Organization]:
    orgs: dict[str, Organization] = {}
    for code, name, kind, terms, credit, email, (
        line1,
        city,
        region,
        postal,
        country,
    ) in ORGANIZATIONS:
        org, _ = Organization.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "payment_terms": terms,
                "credit_limit": credit,
                "email": email,
            },
        )
        organization_ensure_group(organization=org)
        for kind_ in (AddressKind.BILLING, AddressKind.SHIPPING):
            Address.objects.get_or_create(
                organization=org,
                kind=kind_,
                is_default=True,
                defaults={
                    "label": "Head office" if kind_ == AddressKind.BILLING else "Main site",
                    "line1": line1,
                    "city": city,
                    "region": region,
                    "postal_code": postal,
                    "country": country,
                },
            )
        orgs[code] = org
    # A brewery's dock takes deliveries Monday to Thursday only; a mine holds its
    # sent quotes' promises (long approvals, scarce motors).
    Address.objects.filter(organization=orgs["BOREALIS"], kind=AddressKind.SHIPPING).update(
        receiving_weekdays="1,2,3,4"
    )
    Organization.objects.filter(pk=orgs["COBALT"].pk).update(hold_quote_promises=True)
    return orgs


def seed_users(orgs: dict[str, Organization]) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@{orgs[spec.org].code.lower()}.example",
                "is_staff": spec.is_staff,
            },
        )
        if created:
            # Demo logins get the published password only in demo mode;
            # elsewhere they must reset it by e-mail.
            if settings.DEMO_MODE:
                user.set_password(DEMO_PASSWORD)
            else:
                user.set_unusable_password()
            user.save(update_fields=["password"])
        if not Membership.objects.filter(user=user).exists():
            membership_create(
                user=user,
                organization=orgs[spec.org],
                job_title=spec.title,
                is_primary_contact=orgs[spec.org].is_external,
            )
        user.groups.add(Group.objects.get(name=spec.role))
        users[spec.username] = user
    return users


def seed() -> dict:
    orgs = seed_organizations()
    users = seed_users(orgs)
    return {"orgs": orgs, "users": users}
