from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "apps.suppliers"
    label = "suppliers"

    def ready(self) -> None:
        from apps.accounts.directory import pending_invitations_panel, without_contact_panel
        from apps.core.dashboards import register_panel, register_target_url
        from apps.suppliers.views import SUPPLIERS

        register_panel(without_contact_panel(SUPPLIERS))
        register_panel(pending_invitations_panel(SUPPLIERS))
        register_target_url("accounts.organization", SUPPLIERS.target_url)
