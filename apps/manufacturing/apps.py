from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "apps.manufacturing"
    label = "manufacturing"
