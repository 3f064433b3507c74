"""Organization directories and portals, written once for customers and suppliers.

`sales` (customers) and `suppliers` (suppliers) each describe their directory
with a `Directory` and call these views with it, so the two pages, their
permission checks and their invitation handling never drift apart. The same
goes for the customer and supplier portals (`Portal`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from apps.accounts import selectors, services
from apps.accounts.forms import InvitationCreateForm, ReceivingDaysForm
from apps.accounts.models import Invitation, Organization, User
from apps.core.dashboards import Panel, PanelRow
from apps.core.htmx import render_page
from apps.core.lists import list_page
from apps.core.permissions import is_internal
from apps.core.refusals import REFUSED, service_error
from apps.core.rows import row_presenter
from apps.core.selectors import notifications_for


@dataclass(frozen=True)
class Directory:
    kind: str
    title: str  # "Customers"
    noun: str  # "customer"
    icon: str
    list_url: str
    detail_url: str
    invite_url: str
    withdraw_url: str
    receiving_url: str = ""
    quote_holds_url: str = ""
    show_credit_limit: bool = False
    panel_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def plural(self) -> str:
        return self.title.lower()

    def detail_href(self, organization: Organization) -> str:
        return reverse(self.detail_url, kwargs={"pk": organization.pk})

    def target_url(self, obj, user: User) -> str | None:
        """Link for a timeline entry whose target is one of this directory's organizations."""
        if (
            isinstance(obj, Organization)
            and obj.kind == self.kind
            and self.kind in selectors.organization_kinds_for(user)
        ):
            return self.detail_href(obj)
        return None


def directory_queryset(user: User, directory: Directory) -> QuerySet[Organization]:
    """No aggregate: contact and invitation counts are added to a page's rows only."""
    return selectors.organizations_of_kind(user, directory.kind).order_by("name", "pk")


def _require_directory_access(user: User, directory: Directory) -> None:
    # The middleware already keeps external users out of internal areas; this
    # holds even if a route is mounted elsewhere. A role that does not read this
    # kind of partner (sales and suppliers, purchasing and customers) gets the
    # same 404 as an outsider.
    if not (
        is_internal(user)
        and user.has_perm("accounts.view_organization")
        and directory.kind in selectors.organization_kinds_for(user)
    ):
        raise Http404


def _organization_for(user: User, directory: Directory, pk) -> Organization:
    _require_directory_access(user, directory)
    return get_object_or_404(directory_queryset(user, directory), pk=pk)


def _require_inviter(user: User, directory: Directory) -> None:
    if not selectors.may_invite_to(user, directory.kind):
        raise PermissionDenied


# --- filters -----------------------------------------------------------------


class _StableOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            # `created` is not unique: the primary key keeps pages from overlapping.
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs


class OrganizationFilter(django_filters.FilterSet):
    """Every key a visitor may send; anything else in the query string is ignored."""

    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name or code", "autocomplete": "off"}
        ),
    )
    is_active = django_filters.ChoiceFilter(
        method="filter_is_active",
        label="Status",
        choices=[("true", "Active"), ("false", "Inactive")],
        empty_label="Any status",
    )
    has_contacts = django_filters.ChoiceFilter(
        method="filter_has_contacts",
        label="Portal contacts",
        choices=[("true", "With portal contacts"), ("false", "Without portal contacts")],
        empty_label="Any contacts",
    )
    ordering = _StableOrderingFilter(
        label="Sort by",
        fields=(("name", "name"), ("code", "code"), ("created_at", "created")),
        field_labels={"name": "Name", "code": "Code", "created_at": "Created"},
        empty_label="Name (A–Z)",
    )

    class Meta:
        model = Organization
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, form_field in self.form.fields.items():
            css = "form-select" if isinstance(form_field.widget, forms.Select) else "form-control"
            form_field.widget.attrs.setdefault("class", f"{css} {css}-sm")
            form_field.widget.attrs.setdefault("id", f"filter-{name}")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def filter_is_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")

    def filter_has_contacts(self, queryset, name, value):
        if value == "true":
            return queryset.filter(selectors.has_contacts_q())
        return queryset.filter(~selectors.has_contacts_q())


# --- pages -------------------------------------------------------------------

DIRECTORY_ROW = "accounts/directory/list.html#row"


@row_presenter(DIRECTORY_ROW)
def directory_row(org: Organization) -> dict:
    """A directory row's plain values (apps.core.rows: rendered once per content); the
    directory's detail URL name and credit-limit column come as the page's shared values."""
    return {
        "pk": org.pk,
        "code": org.code,
        "name": org.name,
        "is_active": org.is_active,
        "payment_terms": str(org.get_payment_terms_display()),
        "currency": org.currency,
        "credit_limit": org.credit_limit,
        "contact_count": org.contact_count,
        "open_invitations": org.open_invitations,
    }


def directory_list(request: HttpRequest, directory: Directory) -> HttpResponse:
    user = request.user
    _require_directory_access(user, directory)
    filterset = OrganizationFilter(
        request.GET or None, queryset=directory_queryset(user, directory)
    )
    # Invalid values (a made-up sort key, an unknown status) are dropped by the
    # form, so the page still answers with the remaining filters applied.
    # The fast list pattern (apps/core/lists.py): capped count, the page's ids,
    # then its rows with their contact and invitation counts.
    page = list_page(request, filterset.qs, rows=selectors.with_contact_counts)
    filtered = (
        any(filterset.form.cleaned_data.get(k) for k in ("q", "is_active", "has_contacts"))
        if filterset.is_bound
        else False
    )
    return render_page(
        request,
        "accounts/directory/list.html",
        {
            "directory": directory,
            "filter": filterset,
            "page_obj": page,
            "filtered": filtered,
        },
        partial="results",
    )


def style_form(form: forms.Form) -> forms.Form:
    """Bootstrap classes and error wiring, so templates can render fields plainly."""
    for name, form_field in form.fields.items():
        bound = form[name]
        css = "form-control"
        if form.is_bound and bound.errors:
            css += " is-invalid"
            form_field.widget.attrs["aria-describedby"] = f"{bound.auto_id}-errors"
            form_field.widget.attrs["aria-invalid"] = "true"
        form_field.widget.attrs["class"] = css
    return form


def _detail_context(
    request: HttpRequest,
    directory: Directory,
    organization: Organization,
    *,
    form: InvitationCreateForm | None = None,
    notice: str = "",
    notice_tone: str = "success",
) -> dict:
    user = request.user
    can_invite = selectors.may_invite_to(user, directory.kind)
    return {
        "directory": directory,
        "organization": organization,
        "addresses": _addresses(user, directory, organization),
        "contacts": list(selectors.contacts_of(organization).order_by("user__last_name")),
        "invitations": list(selectors.invitations_of(user, organization)),
        "can_view_invitations": user.has_perm("accounts.view_invitation"),
        "can_invite": can_invite,
        "form": style_form(form or InvitationCreateForm(prefix="invite")) if can_invite else None,
        "notice": notice,
        "notice_tone": notice_tone,
        **_quote_holds(user, directory, organization),
    }


QUOTE_HOLDS_REFUSAL = "Only a sales manager changes whether quotes hold their promise."


def _quote_holds(user: User, directory: Directory, organization: Organization, **extra) -> dict:
    """The customer's quote-hold setting, with its switch for those who may change it."""
    if directory.kind != "customer" or not directory.quote_holds_url:
        return {"quote_holds": None}
    return {
        "quote_holds": {
            "on": organization.hold_quote_promises,
            "may_set": services.may_set_quote_holds(user),
            "refusal": QUOTE_HOLDS_REFUSAL,
            "url": reverse(directory.quote_holds_url, kwargs={"pk": organization.pk}),
            **extra,
        }
    }


@require_POST
def directory_quote_holds(request: HttpRequest, directory: Directory, pk) -> HttpResponse:
    user = request.user
    organization = _organization_for(user, directory, pk)
    if directory.kind != "customer":
        raise Http404
    hold = request.POST.get("hold") in ("on", "true", "1")
    notice, error = "", ""
    try:
        organization = services.organization_set_quote_holds(
            organization=organization, hold=hold, actor=user
        )
        notice = (
            "New quotes for this customer hold their promise until their validity date."
            if organization.hold_quote_promises
            else "New quotes for this customer hold nothing until accepted."
        )
    except REFUSED as exc:
        error = service_error(exc)[0]
    if not request.htmx:
        if error:
            raise PermissionDenied(error)
        messages.success(request, notice)
        return redirect(directory.detail_href(organization))
    context = _quote_holds(user, directory, organization, notice=notice, error=error)
    return render(
        request,
        "accounts/directory/partials/quote_holds.html",
        context,
        status=422 if error else 200,
    )


def _addresses(user: User, directory: Directory, organization: Organization, bound=None) -> list:
    """Addresses, each shipping site of a customer with its receiving-days form when
    the user may change it (`bound`: (address id, form with errors))."""
    may_edit = directory.kind == "customer" and user.has_perm("accounts.change_address")
    addresses = list(organization.addresses.all())
    for address in addresses:
        address.receiving_form = None
        if may_edit and address.kind == "shipping":
            if bound and bound[0] == address.pk:
                address.receiving_form = bound[1]
            else:
                address.receiving_form = ReceivingDaysForm(
                    prefix=f"a{address.pk.hex[:8]}",
                    initial={"weekdays": [str(d) for d in sorted(address.receiving_days)]},
                )
            address.receiving_url = reverse(
                directory.receiving_url, kwargs={"pk": organization.pk, "address_pk": address.pk}
            )
    return addresses


@require_POST
def directory_address_receiving(
    request: HttpRequest, directory: Directory, pk, address_pk
) -> HttpResponse:
    user = request.user
    organization = _organization_for(user, directory, pk)
    if directory.kind != "customer" or not user.has_perm("accounts.change_address"):
        raise PermissionDenied
    address = get_object_or_404(organization.addresses.filter(kind="shipping"), pk=address_pk)
    form = ReceivingDaysForm(request.POST, prefix=f"a{address.pk.hex[:8]}")
    status = 200
    if form.is_valid():
        services.address_set_receiving_days(
            address=address, weekdays=form.cleaned_data["weekdays"], actor=user
        )
        if not request.htmx:
            messages.success(request, f"Receiving days saved: {address.receiving_days_text}.")
            return redirect(directory.detail_href(organization))
        bound = None
    else:
        status, bound = 422, (address.pk, form)
    return render(
        request,
        "accounts/directory/partials/addresses.html",
        {"directory": directory, "addresses": _addresses(user, directory, organization, bound)},
        status=status,
    )


def directory_detail(request: HttpRequest, directory: Directory, pk) -> HttpResponse:
    organization = _organization_for(request.user, directory, pk)
    return render_page(
        request,
        "accounts/directory/detail.html",
        _detail_context(request, directory, organization),
        partial="invitations",
    )


def _after_invitation_change(
    request: HttpRequest,
    directory: Directory,
    organization: Organization,
    notice: str,
    *,
    tone: str = "success",
) -> HttpResponse:
    if not request.htmx:
        getattr(messages, "success" if tone == "success" else "error")(request, notice)
        return redirect(directory.detail_href(organization))
    return render_page(
        request,
        "accounts/directory/detail.html",
        _detail_context(request, directory, organization, notice=notice, notice_tone=tone),
        partial="invitations-and-timeline",
    )


@require_POST
def directory_invite(request: HttpRequest, directory: Directory, pk) -> HttpResponse:
    user = request.user
    organization = _organization_for(user, directory, pk)
    _require_inviter(user, directory)
    form = InvitationCreateForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=organization, invited_by=user, **form.cleaned_data
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return _after_invitation_change(
                request,
                directory,
                organization,
                f"Invitation sent to {invitation.email}.",
            )
    # 422 carries the form with its errors; base.html tells htmx to swap it.
    return render_page(
        request,
        "accounts/directory/detail.html",
        _detail_context(request, directory, organization, form=form),
        partial="invitations",
        status=422,
    )


@require_POST
def directory_withdraw(
    request: HttpRequest, directory: Directory, pk, invitation_pk
) -> HttpResponse:
    user = request.user
    organization = _organization_for(user, directory, pk)
    _require_inviter(user, directory)
    invitation = get_object_or_404(selectors.invitations_of(user, organization), pk=invitation_pk)
    if invitation.status != "pending":
        return _after_invitation_change(
            request,
            directory,
            organization,
            f"The invitation for {invitation.email} is {invitation.status}"
            " and cannot be withdrawn.",
            tone="danger",
        )
    services.invitation_revoke(invitation=invitation, actor=user)
    return _after_invitation_change(
        request, directory, organization, f"Invitation for {invitation.email} withdrawn."
    )


# --- dashboard panels ----------------------------------------------------------


def _may_see_panels(user: User, directory: Directory) -> bool:
    return is_internal(user) and (
        user.has_role(*directory.panel_roles) or (user.is_superuser and not user.role_names)
    )


def without_contact_panel(directory: Directory):
    def provider(user: User) -> Panel | None:
        if not _may_see_panels(user, directory):
            return None
        qs = directory_queryset(user, directory).filter(~selectors.has_contacts_q(), is_active=True)
        # The five first, then their invitations: no aggregate over every organization.
        ids = list(qs.values_list("pk", flat=True)[:5])
        by_pk = {org.pk: org for org in selectors.with_contact_counts(qs.filter(pk__in=ids))}
        items = [by_pk[pk] for pk in ids if pk in by_pk]
        rows = [
            PanelRow(
                label=f"{org.name} ({org.code})",
                url=directory.detail_href(org),
                detail=(
                    f"{org.open_invitations} pending invitation"
                    f"{'' if org.open_invitations == 1 else 's'}"
                    if org.open_invitations
                    else "Nobody invited yet"
                ),
            )
            for org in items
        ]
        return Panel(
            key=f"{directory.kind}-without-contact",
            title=f"{directory.title} without a portal contact",
            icon="person-x",
            count=qs.count() if len(items) == 5 else len(items),
            rows=rows,
            empty_text=f"Every {directory.noun} has a portal contact.",
            more_url=reverse(directory.list_url) + "?is_active=true&has_contacts=false",
            order=20,
        )

    provider.__name__ = f"{directory.kind}_without_contact_panel"
    return provider


def pending_invitations_panel(directory: Directory):
    def provider(user: User) -> Panel | None:
        if not _may_see_panels(user, directory) or not user.has_perm("accounts.view_invitation"):
            return None
        qs = Invitation.objects.filter(
            selectors.pending_invitations_q(),
            organization__kind=directory.kind,
            organization__in=selectors.organizations_visible_to(user),
        ).select_related("organization", "invited_by")
        items = list(qs.order_by("created_at")[:5])
        rows = []
        for invitation in items:
            expires = date_format(timezone.localtime(invitation.expires_at), "M j, H:i")
            rows.append(
                PanelRow(
                    label=f"{invitation.first_name} {invitation.last_name}".strip()
                    + f" · {invitation.organization.name}",
                    url=directory.detail_href(invitation.organization),
                    detail=f"{invitation.email} · invited by {invitation.invited_by}"
                    f" · expires {expires}",
                    state="pending",
                )
            )
        return Panel(
            key=f"{directory.kind}-invitations",
            title=f"Pending {directory.noun} invitations",
            icon="envelope-paper",
            count=qs.count() if len(items) == 5 else len(items),
            rows=rows,
            empty_text="No invitation is waiting for an answer.",
            order=30,
        )

    provider.__name__ = f"{directory.kind}_invitations_panel"
    return provider


# --- portals -------------------------------------------------------------------


@dataclass(frozen=True)
class Portal:
    kind: str
    title: str  # "Customer portal"
    dashboard_url: str
    organization_url: str
    dashboard_template: str


def _portal_organization(user: User, portal: Portal) -> Organization:
    """The contact's own organization; anyone who is not its contact of this kind gets 404."""
    if not (user.is_authenticated and user.is_active and user.is_external):
        raise Http404
    organization = user.organization
    if organization is None or organization.kind != portal.kind or not organization.is_active:
        raise Http404
    return organization


def portal_dashboard(
    request: HttpRequest, portal: Portal, *, extra_context: dict | None = None
) -> HttpResponse:
    """`extra_context` lets a portal app above accounts add its own items (quotes, orders)."""
    user = request.user
    organization = _portal_organization(user, portal)
    unread = notifications_for(user=user).filter(read_at__isnull=True)
    notifications = list(unread[:5])
    return render_page(
        request,
        portal.dashboard_template,
        {
            "portal": portal,
            "organization": organization,
            "notifications": notifications,
            "notification_count": unread.count() if len(notifications) == 5 else len(notifications),
            "colleagues": list(
                selectors.contacts_of(organization).exclude(user=user).order_by("user__last_name")
            ),
            **(extra_context or {}),
        },
    )


def portal_organization(request: HttpRequest, portal: Portal) -> HttpResponse:
    organization = _portal_organization(request.user, portal)
    return render_page(
        request,
        "accounts/directory/portal_organization.html",
        {
            "portal": portal,
            "organization": organization,
            "addresses": list(organization.addresses.all()),
            "contacts": list(selectors.contacts_of(organization).order_by("user__last_name")),
        },
    )
