from __future__ import annotations

from django import forms

from apps.core.limits import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, VERSION_MAX
from apps.core.pages import TransitionForm


class ChangeRequestForm(forms.Form):
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
