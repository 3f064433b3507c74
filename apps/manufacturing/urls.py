from django.urls import path
from django.views.generic import RedirectView

from apps.manufacturing import views, views_capacity, views_replan

app_name = "manufacturing"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="manufacturing:review-inbox"), name="home"),
    path("work-centers/", views_capacity.work_center_list, name="work-center-list"),
    path("work-centers/<uuid:pk>/", views_capacity.work_center_detail, name="work-center-detail"),
    path(
        "work-centers/<uuid:pk>/capacity/",
        views_capacity.work_center_capacity,
        name="work-center-capacity",
    ),
    path(
        "work-centers/<uuid:pk>/closures/",
        views_capacity.work_center_closure_add,
        name="work-center-closure-add",
    ),
    path(
        "work-centers/<uuid:pk>/closures/<int:closure_pk>/remove/",
        views_capacity.work_center_closure_remove,
        name="work-center-closure-remove",
    ),
    path("reviews/", views.review_inbox, name="review-inbox"),
    path("reviews/<uuid:pk>/<slug:name>/", views.review_decide, name="review-decide"),
    path("replan/", views_replan.replan_page, name="replan"),
    path("replan/start/", views_replan.replan_start, name="replan-start"),
]
