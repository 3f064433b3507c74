from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "apps.manufacturing"
    label = "manufacturing"

    def ready(self) -> None:
        from apps.manufacturing.views import INBOX
        from apps.orders.review_inbox import register_inbox

        register_inbox(INBOX)
        from apps.accounts.roles import Role
        from apps.core.navigation import NavItem, register_nav_item

        register_nav_item(
            NavItem(
                "Re-plan",
                "manufacturing:replan",
                "arrow-repeat",
                frozenset({Role.PLANNER, Role.SALES_MANAGER, Role.OPS_ADMIN}),
                order=35,
            )
        )
