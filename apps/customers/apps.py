from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "apps.customers"
    label = "customers"

    def ready(self) -> None:
        from apps.accounts.roles import Role
        from apps.core.navigation import NavItem, register_nav_item
        from apps.customers import rows  # noqa: F401  (registers the lists' row presenters)

        contacts = frozenset({Role.CUSTOMER_CONTACT})
        for item in (
            NavItem("My portal", "customers:dashboard", "house", contacts, order=0),
            NavItem("Quotes", "customers:quote-list", "file-earmark-text", contacts, order=10),
            NavItem("Orders", "customers:order-list", "box-seam", contacts, order=20),
            NavItem("Organization", "customers:organization", "building", contacts, order=30),
        ):
            register_nav_item(item)
