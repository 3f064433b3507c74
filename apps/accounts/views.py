from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.accounts import selectors, services
from apps.accounts.forms import (
    ApiTokenCreateForm,
    InvitationAcceptForm,
    LoginForm,
    QueuedPasswordResetForm,
)
from apps.core.dashboards import role_labels
from apps.core.ratelimit import rate_limit_hit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            from apps.accounts.demo import DEMO_PASSWORD, USERS
            from apps.accounts.roles import Role

            groups = {"internal": [], "customer": [], "supplier": []}
            for spec in USERS:
                key = (
                    "customer"
                    if spec.role == Role.CUSTOMER_CONTACT
                    else "supplier"
                    if spec.role == Role.SUPPLIER_CONTACT
                    else "internal"
                )
                groups[key].append({"username": spec.username, "role_label": Role(spec.role).label})
            context["demo_password"] = DEMO_PASSWORD
            context["demo_users"] = [
                {"label": "Kestrel staff", "users": groups["internal"]},
                {"label": "Customers", "users": groups["customer"]},
                {"label": "Suppliers", "users": groups["supplier"]},
            ]
        return context


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, throttled per address and per client.

    Per address (PASSWORD_RESET_LIMIT_PER_ADDRESS an hour): past the limit the
    visitor sees the usual "if the address exists we sent a mail" page and
    nothing is sent. The owner already has the earlier mails, and a different
    answer would tell a prober that the address is being reset a lot.
    Per client (PASSWORD_RESET_LIMIT_PER_CLIENT an hour): past the limit the
    page says so with a 429. That tells nothing about any address and tells a
    person behind a busy address why nothing arrives.
    """

    template_name = "accounts/password_reset.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-done")
    window_seconds = 60 * 60

    def form_valid(self, form):
        client = get_client_ip_address(self.request) or "unknown"
        if not rate_limit_hit(
            "password-reset-client",
            client,
            limit=settings.PASSWORD_RESET_LIMIT_PER_CLIENT,
            window_seconds=self.window_seconds,
        ):
            response = render(self.request, "accounts/password_reset_throttled.html", status=429)
            response["Retry-After"] = str(self.window_seconds)
            return response
        if not rate_limit_hit(
            "password-reset-address",
            form.cleaned_data["email"],
            limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            window_seconds=self.window_seconds,
        ):
            return redirect(self.get_success_url())
        return super().form_valid(form)


def _invitation_invalid(request: HttpRequest, exc: services.InvitationError) -> HttpResponse:
    # 404 for a link we never issued; 410 for one that was real but is spent.
    return render(
        request,
        "accounts/invitation_invalid.html",
        {"reason": exc.reason, "message": exc.message},
        status=404 if exc.reason == "invalid" else 410,
    )


@sensitive_post_parameters("password1", "password2")
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationError as exc:
        return _invitation_invalid(request, exc)
    form = InvitationAcceptForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationError as exc:
            return _invitation_invalid(request, exc)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = {"password": "password1"}.get(field, field)
                form.add_error(field if field in form.fields else None, errors)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Tandem, {user.first_name}.")
            return redirect("core:dashboard")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# --- the account page ------------------------------------------------------------


def _account_page(
    request: HttpRequest, *, form: ApiTokenCreateForm | None = None, new_key: str = "", status=200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "roles": role_labels(user),
            "tokens": list(selectors.api_tokens_of(user)),
            "token_form": form or ApiTokenCreateForm(),
            "new_key": new_key,
            "token_ttl_days": settings.API_TOKEN_TTL_DAYS,
        },
        status=status,
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _account_page(request, form=form, status=422)
    token, key = services.api_token_issue(user=request.user, name=form.cleaned_data["name"])
    messages.success(request, f"Token “{token.name}” created. Copy it now: it is not shown again.")
    # Rendered, not redirected: the key exists only in this response (never
    # stored, never in a message cookie), and the page is sent with no-store.
    return _account_page(request, new_key=key)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk) -> HttpResponse:
    token = get_object_or_404(selectors.api_tokens_of(request.user), pk=pk)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:account")
