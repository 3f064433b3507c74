"""The public inquiry form at /inquiry/: anonymous, throttled, with a honeypot."""

from django.urls import path

from apps.sales import views_inquiries

app_name = "inquiry"

urlpatterns = [
    path("", views_inquiries.public_inquiry, name="form"),
    path("thanks/", views_inquiries.public_inquiry_thanks, name="thanks"),
]
