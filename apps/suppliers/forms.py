"""Purchasing's receipt forms: bounds match the stock ledger's columns."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from apps.accounts.models import Organization, OrganizationKind
from apps.catalog.models import Part
from apps.catalog.supply import QTY_MAX
from apps.core.widgets import ModelNameSelect

QTY_FIELD = {
    "max_digits": 12,
    "decimal_places": 3,
    "min_value": Decimal("0.001"),
    "max_value": QTY_MAX,
}
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ReceiptFilterForm(forms.Form):
    part = forms.CharField(required=False, max_length=60, label="Part")
    reference = forms.CharField(required=False, max_length=60, label="Purchase order")


class ReceiptAddForm(forms.Form):
    part = forms.CharField(
        max_length=40, label="Part number", help_text="The part number, e.g. PCB-100."
    )
    quantity = forms.DecimalField(**QTY_FIELD)
    date = forms.DateField(label="Expected on", widget=DATE_WIDGET)
    reference = forms.CharField(max_length=60, label="Purchase order", initial="PO-")
    # Suppliers are a short list kept by purchasing; a select is enough here.
    supplier = forms.ModelChoiceField(
        # (the options read the name only)
        queryset=Organization.objects.filter(kind=OrganizationKind.SUPPLIER, is_active=True).only(
            "pk", "name"
        ),
        # Options written from (pk, name) rows: a supplier's label is its name.
        widget=ModelNameSelect,
    )

    def clean_part(self) -> Part:
        number = self.cleaned_data["part"].strip()
        part = Part.objects.filter(number__iexact=number, is_active=True).first()
        if part is None:
            raise forms.ValidationError(f"No active part is numbered “{number}”.")
        return part


class ReceiptKeyForm(forms.Form):
    """Which open receipt a row's button acts on: part, purchase order, due date."""

    part = forms.UUIDField(widget=forms.HiddenInput)
    reference = forms.CharField(max_length=60, widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput)


class ReceiptMoveForm(ReceiptKeyForm):
    new_date = forms.DateField(label="New date", widget=DATE_WIDGET)


class ReceiptCancelForm(ReceiptKeyForm):
    reason = forms.CharField(required=False, max_length=120)


class ReceiptReceiveForm(ReceiptKeyForm):
    quantity = forms.DecimalField(
        required=False, **QTY_FIELD, help_text="Empty: everything still due."
    )
