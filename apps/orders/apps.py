from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "apps.orders"
    label = "orders"

    def ready(self) -> None:
        from apps.catalog.signals import capacity_changed, supply_changed
        from apps.orders.comments import register
        from apps.orders.receivers import replan_on_capacity_change, replan_on_supply_change

        register()
        supply_changed.connect(replan_on_supply_change, dispatch_uid="orders.replan.supply")
        capacity_changed.connect(replan_on_capacity_change, dispatch_uid="orders.replan.capacity")
