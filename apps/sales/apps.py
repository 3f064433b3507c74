from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "apps.sales"
    label = "sales"

    def ready(self) -> None:
        from apps.accounts.directory import pending_invitations_panel, without_contact_panel
        from apps.core.dashboards import register_panel, register_target_url
        from apps.sales.views import CUSTOMERS

        register_panel(without_contact_panel(CUSTOMERS))
        register_panel(pending_invitations_panel(CUSTOMERS))
        register_target_url("accounts.organization", CUSTOMERS.target_url)
