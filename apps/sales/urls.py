from django.urls import path
from django.views.generic import RedirectView

from apps.sales import views, views_orders, views_quotes

app_name = "sales"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="sales:customer-list"), name="home"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<uuid:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<uuid:pk>/invite/", views.customer_invite, name="customer-invite"),
    path(
        "customers/<uuid:pk>/invitations/<uuid:invitation_pk>/withdraw/",
        views.customer_invitation_withdraw,
        name="customer-invitation-withdraw",
    ),
    path("quotes/", views_quotes.quote_list, name="quote-list"),
    path("quotes/<uuid:pk>/", views_quotes.quote_detail, name="quote-detail"),
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
    path("orders/", views_orders.order_list, name="order-list"),
    path("orders/<uuid:pk>/", views_orders.order_detail, name="order-detail"),
    path(
        "orders/<uuid:pk>/transitions/<slug:name>/",
        views_orders.order_transition,
        name="order-transition",
    ),
    path("orders/<uuid:pk>/data/", views_orders.order_update, name="order-update"),
    path("orders/<uuid:pk>/steps/<slug:step>/", views_orders.order_step, name="order-step"),
]
