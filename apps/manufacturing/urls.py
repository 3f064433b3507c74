from django.urls import path
from django.views.generic import RedirectView

from apps.manufacturing import views, views_replan

app_name = "manufacturing"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="manufacturing:review-inbox"), name="home"),
    path("reviews/", views.review_inbox, name="review-inbox"),
    path("reviews/<uuid:pk>/<slug:name>/", views.review_decide, name="review-decide"),
    path("replan/", views_replan.replan_page, name="replan"),
    path("replan/start/", views_replan.replan_start, name="replan-start"),
]
