"""The role vocabulary of DESIGN §3.

It lives in `core` because the ground floor needs it too (navigation,
dashboards); `accounts` re-exports it with the permission map each role holds.
Roles are Django groups named by these values.
"""

from __future__ import annotations

from django.db.models import TextChoices


class Role(TextChoices):
    SALES_REP = "sales_rep", "Sales rep"
    SALES_MANAGER = "sales_manager", "Sales manager"
    ENGINEER = "engineer", "Engineer"
    PLANNER = "planner", "Planner"
    QUALITY = "quality", "Quality"
    BUYER = "buyer", "Buyer"
    WAREHOUSE = "warehouse", "Warehouse"
    FINANCE = "finance", "Finance"
    OPS_ADMIN = "ops_admin", "Operations admin"
    CUSTOMER_CONTACT = "customer_contact", "Customer contact"
    SUPPLIER_CONTACT = "supplier_contact", "Supplier contact"


INTERNAL_ROLES = frozenset(
    {
        Role.SALES_REP,
        Role.SALES_MANAGER,
        Role.ENGINEER,
        Role.PLANNER,
        Role.QUALITY,
        Role.BUYER,
        Role.WAREHOUSE,
        Role.FINANCE,
        Role.OPS_ADMIN,
    }
)
EXTERNAL_ROLES = frozenset({Role.CUSTOMER_CONTACT, Role.SUPPLIER_CONTACT})
SALES_ROLES = frozenset({Role.SALES_REP, Role.SALES_MANAGER})
