from django.urls import path
from django.views.generic import RedirectView

from apps.manufacturing import views

app_name = "manufacturing"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="manufacturing:review-inbox"), name="home"),
    path("reviews/", views.review_inbox, name="review-inbox"),
    path("reviews/<uuid:pk>/<slug:name>/", views.review_decide, name="review-decide"),
]
