from django.apps import AppConfig


class EngineeringConfig(AppConfig):
    name = "apps.engineering"
    label = "engineering"

    def ready(self) -> None:
        from apps.engineering.views import INBOX
        from apps.orders.review_inbox import register_inbox

        register_inbox(INBOX)
