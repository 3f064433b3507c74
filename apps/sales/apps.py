from django.apps import AppConfig


def _inquiry_url(obj, user) -> str | None:
    from django.urls import reverse

    from apps.core.permissions import is_internal

    return reverse("sales:inquiry-detail", args=[obj.pk]) if is_internal(user) else None


def _opportunity_url(obj, user) -> str | None:
    from django.urls import reverse

    from apps.core.permissions import is_internal

    return reverse("sales:opportunity-detail", args=[obj.pk]) if is_internal(user) else None


class SalesConfig(AppConfig):
    name = "apps.sales"
    label = "sales"

    def ready(self) -> None:
        from apps.accounts.directory import pending_invitations_panel, without_contact_panel
        from apps.accounts.roles import INTERNAL_ROLES, SALES_ROLES, Role
        from apps.core.dashboards import register_panel, register_target_url
        from apps.core.navigation import NavItem, register_nav_item
        from apps.orders.review_inbox import register_inbox
        from apps.sales import rows  # noqa: F401  (registers the lists' row presenters)
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
                "At risk",
                "sales:at-risk",
                "exclamation-triangle",
                SALES_ROLES | {Role.PLANNER, Role.OPS_ADMIN},
                order=21,
            )
        )
        register_nav_item(
            NavItem("Inquiries", "sales:inquiry-list", "inbox", INTERNAL_ROLES, order=5)
        )
        register_nav_item(NavItem("Pipeline", "sales:pipeline", "kanban", INTERNAL_ROLES, order=6))
        register_nav_item(
            NavItem("Forecast", "sales:forecast", "bar-chart-line", INTERNAL_ROLES, order=7)
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

        from apps.orders.services.quotes import quote_state_changed
        from apps.sales.services import on_quote_state_changed

        quote_state_changed.connect(on_quote_state_changed, dispatch_uid="sales-win-on-accept")
        register_target_url("sales.inquiry", _inquiry_url)
        register_target_url("sales.opportunity", _opportunity_url)
        register_inbox(REVIEW_INBOX)
        for panel in PANELS:
            register_panel(panel)
        register_panel(without_contact_panel(CUSTOMERS))
        register_panel(pending_invitations_panel(CUSTOMERS))
        register_target_url("accounts.organization", CUSTOMERS.target_url)
