"""Sales pages. The customer directory is the shared organization directory
(apps.accounts.directory) configured for customers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from apps.accounts import directory
from apps.accounts.models import OrganizationKind
from apps.accounts.roles import SALES_ROLES

CUSTOMERS = directory.Directory(
    kind=OrganizationKind.CUSTOMER,
    title="Customers",
    noun="customer",
    icon="buildings",
    list_url="sales:customer-list",
    detail_url="sales:customer-detail",
    invite_url="sales:customer-invite",
    withdraw_url="sales:customer-invitation-withdraw",
    receiving_url="sales:customer-address-receiving",
    quote_holds_url="sales:customer-quote-holds",
    show_credit_limit=True,
    panel_roles=SALES_ROLES,
)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    return directory.directory_list(request, CUSTOMERS)


@login_required
def customer_detail(request: HttpRequest, pk) -> HttpResponse:
    return directory.directory_detail(request, CUSTOMERS, pk)


@login_required
def customer_invite(request: HttpRequest, pk) -> HttpResponse:
    return directory.directory_invite(request, CUSTOMERS, pk)


@login_required
def customer_address_receiving(request: HttpRequest, pk, address_pk) -> HttpResponse:
    return directory.directory_address_receiving(request, CUSTOMERS, pk, address_pk)


@login_required
def customer_quote_holds(request: HttpRequest, pk) -> HttpResponse:
    return directory.directory_quote_holds(request, CUSTOMERS, pk)


@login_required
def customer_invitation_withdraw(request: HttpRequest, pk, invitation_pk) -> HttpResponse:
    return directory.directory_withdraw(request, CUSTOMERS, pk, invitation_pk)
