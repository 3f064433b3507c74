from django.urls import path

from apps.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("organization/", views.organization, name="organization"),
]
