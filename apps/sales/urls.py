from django.urls import path
from django.views.generic import RedirectView

from apps.sales import (
    views,
    views_builder,
    views_changes,
    views_documents,
    views_expedite,
    views_inquiries,
    views_opportunities,
    views_orders,
    views_promises,
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
        "customers/<uuid:pk>/addresses/<uuid:address_pk>/receiving/",
        views.customer_address_receiving,
        name="customer-address-receiving",
    ),
    path(
        "customers/<uuid:pk>/invitations/<uuid:invitation_pk>/withdraw/",
        views.customer_invitation_withdraw,
        name="customer-invitation-withdraw",
    ),
    path("quotes/", views_quotes.quote_list, name="quote-list"),
    path("quotes/new/", views_builder.quote_create, name="quote-create"),
    path("quotes/<uuid:pk>/", views_quotes.quote_detail, name="quote-detail"),
    path("quotes/<uuid:pk>/builder/", views_builder.quote_builder, name="quote-builder"),
    path(
        "quotes/<uuid:pk>/builder/details/",
        views_builder.quote_details_update,
        name="quote-details-update",
    ),
    path(
        "quotes/<uuid:pk>/builder/preview/",
        views_builder.quote_line_preview_view,
        name="quote-line-preview",
    ),
    path("quotes/<uuid:pk>/builder/lines/", views_builder.quote_line_add, name="quote-line-add"),
    path(
        "quotes/<uuid:pk>/builder/lines/<uuid:line_pk>/",
        views_builder.quote_line_update,
        name="quote-line-update",
    ),
    path(
        "quotes/<uuid:pk>/builder/lines/<uuid:line_pk>/delete/",
        views_builder.quote_line_delete,
        name="quote-line-delete",
    ),
    path("quotes/<uuid:pk>/pdf/", views_documents.quote_pdf, name="quote-pdf"),
    path("quotes/<uuid:pk>/comments/", views_quotes.quote_comments, name="quote-comments"),
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
    path("at-risk/", views_promises.at_risk, name="at-risk"),
    path(
        "at-risk/<uuid:line_id>/release/",
        views_promises.at_risk_release,
        name="at-risk-release",
    ),
    path("orders/<uuid:pk>/", views_orders.order_detail, name="order-detail"),
    path("orders/<uuid:pk>/comments/", views_orders.order_comments, name="order-comments"),
    path("orders/<uuid:pk>/cancel/", views_orders.order_cancel, name="order-cancel"),
    path("orders/<uuid:pk>/expedite/", views_expedite.order_expedite_view, name="order-expedite"),
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
        "orders/<uuid:pk>/lines/<uuid:line_id>/release/",
        views_promises.order_line_release,
        name="order-line-release",
    ),
    path(
        "orders/<uuid:pk>/release-dates/",
        views_promises.order_release_all,
        name="order-release-all",
    ),
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
    path("inquiries/", views_inquiries.inquiry_list, name="inquiry-list"),
    path("inquiries/new/", views_inquiries.inquiry_create, name="inquiry-create"),
    path("inquiries/<uuid:pk>/", views_inquiries.inquiry_detail, name="inquiry-detail"),
    path("inquiries/<uuid:pk>/edit/", views_inquiries.inquiry_update, name="inquiry-update"),
    path(
        "inquiries/<uuid:pk>/transitions/<slug:name>/",
        views_inquiries.inquiry_transition,
        name="inquiry-transition",
    ),
    path("opportunities/", views_opportunities.opportunity_list, name="opportunity-list"),
    path(
        "opportunities/<uuid:pk>/",
        views_opportunities.opportunity_detail,
        name="opportunity-detail",
    ),
    path(
        "opportunities/<uuid:pk>/edit/",
        views_opportunities.opportunity_update,
        name="opportunity-update",
    ),
    path(
        "opportunities/<uuid:pk>/quotes/",
        views_opportunities.opportunity_quote_create,
        name="opportunity-quote-create",
    ),
    path(
        "opportunities/<uuid:pk>/transitions/<slug:name>/",
        views_opportunities.opportunity_transition,
        name="opportunity-transition",
    ),
    path("pipeline/", views_opportunities.pipeline, name="pipeline"),
    path(
        "pipeline/<uuid:pk>/moves/<slug:name>/",
        views_opportunities.pipeline_move,
        name="pipeline-move",
    ),
    path("forecast/", views_opportunities.forecast, name="forecast"),
]
