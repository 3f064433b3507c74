from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from apps.accounts.roles import sync_role_permissions

    sync_role_permissions()


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        # Apps added later bring new permissions; re-sync the role grants
        # after every migrate so ops_admin and the roles always match the map.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="tandem-sync-roles")

        from apps.accounts.panels import ops_overview_panel
        from apps.core.dashboards import register_panel

        register_panel(ops_overview_panel)
