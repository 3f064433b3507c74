from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "apps.suppliers"
    label = "suppliers"

    def ready(self) -> None:
        from apps.accounts.directory import pending_invitations_panel, without_contact_panel
        from apps.accounts.roles import Role
        from apps.core.dashboards import register_panel, register_target_url
        from apps.core.navigation import NavItem, register_nav_item
        from apps.orders.review_inbox import register_inbox
        from apps.suppliers.views import REVIEW_INBOX, SUPPLIERS

        buyers = frozenset({Role.BUYER, Role.OPS_ADMIN})
        contacts = frozenset({Role.SUPPLIER_CONTACT})
        register_nav_item(
            NavItem("Suppliers", "suppliers:supplier-list", "truck", buyers, order=40)
        )
        register_nav_item(
            NavItem("Receipts", "suppliers:receipt-list", "box-arrow-in-down", buyers, order=41)
        )
        register_nav_item(
            NavItem("Parts", "suppliers:part-list", "boxes", buyers | {Role.PLANNER}, order=43)
        )
        register_nav_item(
            NavItem("My portal", "suppliers:portal-dashboard", "house", contacts, order=0)
        )
        register_nav_item(
            NavItem("Organization", "suppliers:portal-organization", "building", contacts, order=30)
        )

        from apps.suppliers import rows  # noqa: F401  (registers the lists' row presenters)
        from apps.suppliers.panels import receipts_due_panel

        register_inbox(REVIEW_INBOX)
        register_panel(receipts_due_panel)
        register_panel(without_contact_panel(SUPPLIERS))
        register_panel(pending_invitations_panel(SUPPLIERS))
        register_target_url("accounts.organization", SUPPLIERS.target_url)
