from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from apps.accounts import services
from apps.accounts.forms import InvitationAcceptForm, LoginForm, QueuedPasswordResetForm


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
    template_name = "accounts/password_reset.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-done")


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
