from django.urls import path
from django.views.generic import RedirectView

from apps.engineering import views

app_name = "engineering"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="engineering:review-inbox"), name="home"),
    path("reviews/", views.review_inbox, name="review-inbox"),
    path("reviews/<uuid:pk>/<slug:name>/", views.review_decide, name="review-decide"),
]
