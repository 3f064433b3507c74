from django.urls import path
from django.views.generic import RedirectView

from apps.sales import views

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
]
