from django.urls import path
from django.views.generic import RedirectView

from apps.sales import (
    views,
    views_changes,
    views_documents,
    views_orders,
    views_quotes,
    views_reviews,
)

app_name = "sales"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="sales:customer-list"), name="home"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/lookup/", views_quotes.customer_lookup, name="customer-lookup"),
    path("customers/<uuid:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<uuid:pk>/invite/", views.customer_invite, name="customer-invite"),
    path(
        "customers/<uuid:pk>/invitations/<uuid:invitation_pk>/withdraw/",
        views.customer_invitation_withdraw,
        name="customer-invitation-withdraw",
    ),
    path("quotes/", views_quotes.quote_list, name="quote-list"),
    path("quotes/<uuid:pk>/", views_quotes.quote_detail, name="quote-detail"),
    path("quotes/<uuid:pk>/pdf/", views_documents.quote_pdf, name="quote-pdf"),
    path("quotes/<uuid:pk>/copy/", views_quotes.quote_copy, name="quote-copy"),
    path(
        "quotes/<uuid:pk>/transitions/<slug:name>/",
        views_quotes.quote_transition,
        name="quote-transition",
    ),
    path(
        "quotes/<uuid:pk>/reviews/<uuid:review_pk>/transitions/<slug:name>/",
        views_quotes.quote_review_transition,
        name="quote-review-transition",
    ),
    path("reviews/", views_reviews.review_inbox, name="review-inbox"),
    path("reviews/<uuid:pk>/<slug:name>/", views_reviews.review_decide, name="review-decide"),
    path("orders/", views_orders.order_list, name="order-list"),
    path("orders/<uuid:pk>/", views_orders.order_detail, name="order-detail"),
    path("orders/<uuid:pk>/cancel/", views_orders.order_cancel, name="order-cancel"),
    path(
        "orders/<uuid:pk>/transitions/<slug:name>/",
        views_orders.order_transition,
        name="order-transition",
    ),
    path("orders/<uuid:pk>/data/", views_orders.order_update, name="order-update"),
    path(
        "orders/<uuid:pk>/tracker-links/",
        views_orders.order_tracker_create,
        name="order-tracker-create",
    ),
    path(
        "orders/<uuid:pk>/tracker-links/<int:link_id>/revoke/",
        views_orders.order_tracker_revoke,
        name="order-tracker-revoke",
    ),
    path("orders/<uuid:pk>/steps/<slug:step>/", views_orders.order_step, name="order-step"),
    path(
        "quotes/<uuid:pk>/change-requests/",
        views_changes.quote_change_request_create,
        name="quote-change-request-create",
    ),
    path(
        "orders/<uuid:pk>/change-requests/",
        views_changes.order_change_request_create,
        name="order-change-request-create",
    ),
    path(
        "change-requests/<uuid:pk>/assess/",
        views_changes.change_request_assess,
        name="change-request-assess",
    ),
    path(
        "change-requests/<uuid:pk>/transitions/<slug:name>/",
        views_changes.change_request_transition,
        name="change-request-transition",
    ),
]
