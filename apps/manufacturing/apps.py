from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "apps.manufacturing"
    label = "manufacturing"

    def ready(self) -> None:
        from apps.manufacturing.views import INBOX
        from apps.orders.review_inbox import register_inbox

        register_inbox(INBOX)
