from django.urls import path

from apps.customers import views_tracker

app_name = "tracker"

urlpatterns = [
    path("<str:token>/", views_tracker.order_tracker, name="order"),
]
