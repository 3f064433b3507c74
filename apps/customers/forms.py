from __future__ import annotations

from typing import Any

from django import forms

from apps.core.limits import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, VERSION_MAX
from apps.core.pages import TransitionForm
from apps.core.widgets import FastSelect
from apps.orders.models.portal import CUSTOMER_PO_MAX_LENGTH, SIGNER_MAX_LENGTH

WHOLE = ""  # the change request's `line` choice for the whole quote or order


class ChangeRequestForm(forms.Form):
    # One option per line: 200 on a big order (FastSelect renders them without templates).
    line = forms.ChoiceField(
        label="Which part?", required=False, choices=[(WHOLE, "")], widget=FastSelect
    )
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        label="What should change?",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Add a second pump"}),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        label="Details",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lines=(), noun: str = "quote", **kwargs):
        """`lines`: (position, product name) of the document's lines, to ask about one."""
        super().__init__(*args, **kwargs)
        self.line_names = {str(pos): f"Line {pos} · {name}" for pos, name in lines}
        self.fields["line"].choices = [(WHOLE, f"The whole {noun}"), *self.line_names.items()]
        if not self.line_names:
            del self.fields["line"]

    def service_kwargs(self) -> dict[str, Any]:
        """Title and description, naming the line when the request is about one."""
        title = self.cleaned_data["title"].strip()
        description = self.cleaned_data["description"].strip()
        line = self.line_names.get(self.cleaned_data.get("line") or WHOLE)
        if line:
            title = f"{line}: {title}"[:TITLE_MAX_LENGTH]
            description = f"About {line}.\n\n{description}"[:DESCRIPTION_MAX_LENGTH]
        return {"title": title, "description": description}


class DecisionForm(TransitionForm):
    comment = forms.CharField(
        required=False, max_length=2000, label="Comment (optional)", widget=forms.Textarea
    )
    version = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=VERSION_MAX
    )

    @property
    def invalid_message(self) -> str:
        return " ".join(e for errors in self.errors.values() for e in errors)


class AcceptForm(DecisionForm):
    """Accepting a quote signs it: the PO, the signer's typed name and the terms are required."""

    customer_po = forms.CharField(
        label="Your PO number",
        max_length=CUSTOMER_PO_MAX_LENGTH,
        error_messages={"required": "Enter your purchase order number."},
    )
    signer_name = forms.CharField(
        label="Your full name (signature)",
        max_length=SIGNER_MAX_LENGTH,
        error_messages={"required": "Type your full name to sign."},
    )
    terms = forms.BooleanField(
        label="I accept this quote and its terms on behalf of my organization.",
        error_messages={"required": "Tick the box to accept the terms."},
    )

    invalid_message = "Check the marked fields: your PO number, name and the terms are needed."

    def service_kwargs(self) -> dict[str, Any]:
        return super().service_kwargs() | {
            "customer_po": self.cleaned_data["customer_po"].strip(),
            "signer_name": self.cleaned_data["signer_name"],
            "terms_accepted": True,
        }


class DeclineForm(DecisionForm):
    comment = forms.CharField(
        label="Why do you decline?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Tell Kestrel why you decline."},
    )

    invalid_message = "Tell Kestrel why you decline."
