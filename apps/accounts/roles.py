"""The model permissions each role of DESIGN §3 holds.

The role vocabulary itself is `apps.core.roles` (re-exported here).

Roles are Django groups. Each app that adds models extends ROLE_PERMISSIONS and
calls `sync_role_permissions` from a data migration, so a fresh database and an
upgraded one end with the same grants.
"""

from __future__ import annotations

from apps.core.roles import EXTERNAL_ROLES, INTERNAL_ROLES, SALES_ROLES, Role

__all__ = [
    "DIRECTORY_INVITERS",
    "DIRECTORY_READERS",
    "EXTERNAL_ROLES",
    "INTERNAL_ROLES",
    "ROLE_PERMISSIONS",
    "SALES_ROLES",
    "Role",
    "sync_role_permissions",
]

# Which internal roles open the customer and supplier directories (pages and the
# organizations API), and which of them invite and withdraw portal contacts there.
# Sales own the customers and purchasing the suppliers; neither opens the other's
# partners. Everyone else who works on orders reads both.
DIRECTORY_READERS: dict[str, frozenset[str]] = {
    "customer": INTERNAL_ROLES - {Role.BUYER},
    "supplier": INTERNAL_ROLES - SALES_ROLES,
}
DIRECTORY_INVITERS: dict[str, frozenset[str]] = {
    "customer": SALES_ROLES | {Role.OPS_ADMIN},
    "supplier": frozenset({Role.BUYER, Role.OPS_ADMIN}),
}

_READ_DIRECTORY = [
    "accounts.view_organization",
    "accounts.view_address",
    "accounts.view_membership",
]
_MANAGE_CUSTOMERS = [
    "accounts.add_organization",
    "accounts.change_organization",
    "accounts.add_address",
    "accounts.change_address",
    "accounts.add_invitation",
    "accounts.view_invitation",
]
_READ_TIMELINE = ["core.view_activity"]

# Model-level permissions. External contacts hold none: what they see comes from
# object permissions granted to their organization's group.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SALES_REP: [*_READ_DIRECTORY, *_MANAGE_CUSTOMERS, *_READ_TIMELINE],
    Role.SALES_MANAGER: [*_READ_DIRECTORY, *_MANAGE_CUSTOMERS, *_READ_TIMELINE],
    Role.ENGINEER: [*_READ_DIRECTORY, *_READ_TIMELINE],
    Role.PLANNER: [*_READ_DIRECTORY, *_READ_TIMELINE],
    Role.QUALITY: [*_READ_DIRECTORY, *_READ_TIMELINE],
    Role.BUYER: [*_READ_DIRECTORY, *_MANAGE_CUSTOMERS, *_READ_TIMELINE],
    Role.WAREHOUSE: [*_READ_DIRECTORY, *_READ_TIMELINE],
    Role.FINANCE: [*_READ_DIRECTORY, "accounts.change_organization", *_READ_TIMELINE],
    Role.OPS_ADMIN: ["*"],
    Role.CUSTOMER_CONTACT: [],
    Role.SUPPLIER_CONTACT: [],
}


def sync_role_permissions(apps=None) -> None:
    """Create the role groups and give each exactly its listed permissions.

    Works with the historical app registry inside migrations and the live one
    elsewhere. Permissions are created first, since Django only makes them
    after migrate has finished.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    registry = apps or global_apps
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=registry)

    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if codes == ["*"]:
            perms = Permission.objects.all()
        else:
            wanted = {tuple(code.split(".", 1)) for code in codes}
            perms = [
                p
                for p in Permission.objects.select_related("content_type")
                if (p.content_type.app_label, p.codename) in wanted
            ]
        group.permissions.set(perms)


# Orders (the shared quote/order model): every internal role reads it; who may
# act is decided per transition (apps/orders/models/rules.py).
_ORDERS_READ = [
    f"orders.view_{model}"
    for model in (
        "quote",
        "quoteline",
        "quoterevision",
        "quotereview",
        "salesorder",
        "orderline",
        "orderlinecomponent",
        "orderlinedatechange",
        "changerequest",
    )
]
for _role in INTERNAL_ROLES - {Role.OPS_ADMIN}:
    ROLE_PERMISSIONS[_role] = [*ROLE_PERMISSIONS[_role], *_ORDERS_READ]
for _role in SALES_ROLES:
    ROLE_PERMISSIONS[_role] += [
        "orders.add_quote",
        "orders.change_quote",
        "orders.add_changerequest",
    ]

# Catalog: every internal role reads it (quotes, planning and purchasing all lean
# on it); engineering maintains products, options, rules, BOMs and routings,
# purchasing maintains supplier prices. ops_admin already holds everything.
_CATALOG_MODELS = (
    "product",
    "productpricebreak",
    "optiongroup",
    "option",
    "configurationrule",
    "part",
    "bomline",
    "workcenter",
    "workcenterclosure",
    "routingoperation",
    "supplierpart",
    "supplierpricebreak",
    "stockentry",
    "capacityreservation",
)
for _role in INTERNAL_ROLES - {Role.OPS_ADMIN}:
    ROLE_PERMISSIONS[_role] = [
        *ROLE_PERMISSIONS[_role],
        *(f"catalog.view_{model}" for model in _CATALOG_MODELS),
    ]
ROLE_PERMISSIONS[Role.BUYER] += [
    f"catalog.{action}_{model}"
    for model in ("supplierpart", "supplierpricebreak")
    for action in ("add", "change")
]
# Purchasing records expected receipts (add, move, cancel, receive: all ledger
# entries); planning sets work-center capacity and closures.
ROLE_PERMISSIONS[Role.BUYER] += ["catalog.add_stockentry"]
ROLE_PERMISSIONS[Role.PLANNER] += [
    "catalog.change_workcenter",
    "catalog.add_workcenterclosure",
    "catalog.delete_workcenterclosure",
]
ROLE_PERMISSIONS[Role.ENGINEER] += [
    f"catalog.{action}_{model}"
    for model in (
        "product",
        "option",
        "optiongroup",
        "configurationrule",
        "bomline",
        "routingoperation",
        "part",
    )
    for action in ("add", "change")
]

# Sales (inquiries, opportunities, their quote links): sales write, every other
# internal role reads (DESIGN §3); contacts never see them.
_SALES_MODELS = ("inquiry", "opportunity", "opportunityquote")
for _role in INTERNAL_ROLES - {Role.OPS_ADMIN}:
    ROLE_PERMISSIONS[_role] = [
        *ROLE_PERMISSIONS[_role],
        *(f"sales.view_{model}" for model in _SALES_MODELS),
    ]
for _role in SALES_ROLES:
    ROLE_PERMISSIONS[_role] += [
        f"sales.{action}_{model}" for model in _SALES_MODELS for action in ("add", "change")
    ]
