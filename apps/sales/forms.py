from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model

from apps.accounts.roles import SALES_ROLES
from apps.core.limits import (
    DESCRIPTION_MAX_LENGTH,
    MONEY_LIMIT,
    NOTES_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VERSION_MAX,
)

MONEY_BOUND = MONEY_LIMIT - Decimal("0.01")
CURRENCY = forms.RegexField(
    regex=r"^[A-Z]{3}$",
    max_length=3,
    error_messages={"invalid": "Use a three-letter currency code such as USD."},
)


def sales_people():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=SALES_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class SalesEditForm(forms.Form):
    """An inquiry's or opportunity's fields as sales edit them, with the version read."""

    version = forms.IntegerField(
        required=False, min_value=1, max_value=VERSION_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per form: people join and leave the sales team.
        if "owner" in self.fields:  # the concrete forms have one; this base has not
            self.fields["owner"].queryset = sales_people()
        self.order_fields([name for name in self.fields if name != "version"])

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class PublicInquiryForm(forms.Form):
    """The anonymous form at /inquiry/. `website` is the honeypot: hidden from
    people, filled in by bots."""

    contact_name = forms.CharField(label="Your name", max_length=200)
    contact_email = forms.EmailField(label="E-mail")
    contact_phone = forms.CharField(label="Phone (optional)", max_length=40, required=False)
    company_name = forms.CharField(label="Company", max_length=200)
    subject = forms.CharField(
        label="What do you need?",
        max_length=TITLE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Two dosing skids for a new plant"}),
    )
    message = forms.CharField(
        label="Details",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Quantities, site, requested delivery date, anything we should know.",
    )
    website = forms.CharField(
        required=False,
        max_length=200,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    form_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("form_token", uuid.uuid4())
        super().__init__(*args, **kwargs)

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if len(message) < 10:
            raise forms.ValidationError("Tell us a little more (at least 10 characters).")
        return message

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class InquiryForm(SalesEditForm):
    """Manual entry and editing by sales."""

    contact_name = forms.CharField(max_length=200)
    contact_email = forms.EmailField()
    contact_phone = forms.CharField(max_length=40, required=False)
    company_name = forms.CharField(max_length=200, required=False)
    subject = forms.CharField(max_length=TITLE_MAX_LENGTH)
    message = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    estimated_value = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, min_value=0, max_value=MONEY_BOUND
    )
    currency = CURRENCY
    expected_close_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = OwnerField(queryset=sales_people(), required=False, empty_label="Nobody yet")
    internal_notes = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class OpportunityForm(SalesEditForm):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, max_value=MONEY_BOUND)
    currency = CURRENCY
    probability = forms.IntegerField(min_value=0, max_value=100, help_text="Percent")
    expected_close_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    owner = OwnerField(queryset=sales_people())
    internal_notes = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
