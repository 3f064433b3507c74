from django.apps import AppConfig


class EngineeringConfig(AppConfig):
    name = "apps.engineering"
    label = "engineering"
