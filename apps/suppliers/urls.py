"""Mounted at the site root: purchasing pages live under /purchasing/, the
supplier portal under /supplier/."""

from django.urls import path
from django.views.generic import RedirectView

from apps.suppliers import views, views_supply

app_name = "suppliers"

urlpatterns = [
    path(
        "purchasing/",
        RedirectView.as_view(pattern_name="suppliers:supplier-list"),
        name="purchasing-home",
    ),
    path("purchasing/suppliers/", views.supplier_list, name="supplier-list"),
    path("purchasing/suppliers/<uuid:pk>/", views.supplier_detail, name="supplier-detail"),
    path("purchasing/suppliers/<uuid:pk>/invite/", views.supplier_invite, name="supplier-invite"),
    path(
        "purchasing/suppliers/<uuid:pk>/invitations/<uuid:invitation_pk>/withdraw/",
        views.supplier_invitation_withdraw,
        name="supplier-invitation-withdraw",
    ),
    path("purchasing/receipts/", views_supply.receipt_list, name="receipt-list"),
    path("purchasing/receipts/add/", views_supply.receipt_add, name="receipt-add"),
    path("purchasing/receipts/move/", views_supply.receipt_move, name="receipt-move"),
    path("purchasing/receipts/cancel/", views_supply.receipt_cancel, name="receipt-cancel"),
    path("purchasing/receipts/receive/", views_supply.receipt_receive, name="receipt-receive"),
    path("purchasing/parts/", views_supply.part_list, name="part-list"),
    path("purchasing/parts/<uuid:pk>/", views_supply.part_detail, name="part-detail"),
    path("purchasing/reviews/", views.review_inbox, name="review-inbox"),
    path("purchasing/reviews/<uuid:pk>/<slug:name>/", views.review_decide, name="review-decide"),
    path("supplier/", views.portal_dashboard, name="portal-dashboard"),
    path("supplier/organization/", views.portal_organization, name="portal-organization"),
]
