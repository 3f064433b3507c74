from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "apps.manufacturing"
    label = "manufacturing"

    def ready(self) -> None:
        from apps.core.navigation import NavItem, register_nav_item
        from apps.core.roles import Role
        from apps.manufacturing import rows  # noqa: F401  (registers the lists' row presenters)
        from apps.manufacturing.views import INBOX
        from apps.orders.review_inbox import register_inbox

        register_inbox(INBOX)
        register_nav_item(
            NavItem(
                "Work centers",
                "manufacturing:work-center-list",
                "diagram-3",
                frozenset({Role.PLANNER, Role.OPS_ADMIN}),
                order=42,
            )
        )
        register_nav_item(
            NavItem(
                "Re-plan",
                "manufacturing:replan",
                "arrow-repeat",
                frozenset({Role.PLANNER, Role.SALES_MANAGER, Role.OPS_ADMIN}),
                order=35,
            )
        )
