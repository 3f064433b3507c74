from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "apps.sales"
    label = "sales"

    def ready(self) -> None:
        from apps.accounts.directory import pending_invitations_panel, without_contact_panel
        from apps.accounts.roles import INTERNAL_ROLES, SALES_ROLES, Role
        from apps.core.dashboards import register_panel, register_target_url
        from apps.core.navigation import NavItem, register_nav_item
        from apps.orders.review_inbox import register_inbox
        from apps.sales.panels import PANELS
        from apps.sales.views import CUSTOMERS
        from apps.sales.views_reviews import REVIEW_INBOX

        register_nav_item(
            NavItem("Quotes", "sales:quote-list", "file-earmark-text", INTERNAL_ROLES, order=10)
        )
        register_nav_item(
            NavItem("Orders", "sales:order-list", "box-seam", INTERNAL_ROLES, order=20)
        )
        register_nav_item(
            NavItem(
                "Customers",
                "sales:customer-list",
                "buildings",
                SALES_ROLES | {Role.FINANCE, Role.OPS_ADMIN},
                order=30,
            )
        )

        register_inbox(REVIEW_INBOX)
        for panel in PANELS:
            register_panel(panel)
        register_panel(without_contact_panel(CUSTOMERS))
        register_panel(pending_invitations_panel(CUSTOMERS))
        register_target_url("accounts.organization", CUSTOMERS.target_url)
