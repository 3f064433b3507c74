from django.urls import path

from apps.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("organization/", views.organization, name="organization"),
    path("quotes/", views.quote_list, name="quote-list"),
    path("quotes/<uuid:pk>/", views.quote_detail, name="quote-detail"),
    path("quotes/<uuid:pk>/pdf/", views.quote_pdf, name="quote-pdf"),
    path("quotes/<uuid:pk>/comments/", views.quote_comments, name="quote-comments"),
    path("quotes/<uuid:pk>/sections/<slug:name>/", views.quote_section, name="quote-section"),
    path(
        "quotes/<uuid:pk>/transitions/<slug:name>/",
        views.quote_transition,
        name="quote-transition",
    ),
    path(
        "quotes/<uuid:pk>/change-requests/",
        views.quote_change_request,
        name="quote-change-request",
    ),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<uuid:pk>/", views.order_detail, name="order-detail"),
    path("orders/<uuid:pk>/comments/", views.order_comments, name="order-comments"),
    path("orders/<uuid:pk>/sections/<slug:name>/", views.order_section, name="order-section"),
    path(
        "orders/<uuid:pk>/change-requests/",
        views.order_change_request,
        name="order-change-request",
    ),
    path(
        "orders/<uuid:pk>/tracker-links/",
        views.order_tracker_create,
        name="order-tracker-create",
    ),
    path(
        "orders/<uuid:pk>/tracker-links/<int:link_id>/revoke/",
        views.order_tracker_revoke,
        name="order-tracker-revoke",
    ),
    path(
        "change-requests/<uuid:pk>/transitions/<slug:name>/",
        views.change_request_transition,
        name="change-request-transition",
    ),
]
