"""Form widgets for choices that grow with the data."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse


class LookupSelect(forms.Select):
    """A <select> that renders only the chosen option, plus a search box that
    fills it with matches over htmx (`lookup_url` answers <option>s for `?q=`).

    A select of every customer grows with the data; this page stays the same
    size with 5 or 5,000 of them.
    """

    template_name = "core/widgets/lookup_select.html"

    def __init__(self, lookup_url: str, attrs=None, placeholder: str = "Type to search") -> None:
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.placeholder = placeholder

    def optgroups(self, name, value, attrs=None):
        chosen = [v for v in value if v]
        options = [("", self.choices.field.empty_label)]
        if chosen:
            try:
                # Never iterate the whole queryset: only the chosen rows.
                rows = list(self.choices.queryset.filter(pk__in=chosen))
            except (ValidationError, ValueError):
                rows = []
            options += [(str(row.pk), str(row)) for row in rows]
        groups = []
        for index, (option_value, label) in enumerate(options):
            selected = str(option_value) in value if option_value else not chosen
            groups.append(
                (
                    None,
                    [
                        self.create_option(
                            name, option_value, label or "", selected, index, attrs=attrs
                        )
                    ],
                    index,
                )
            )
        return groups

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] = reverse(self.lookup_url)
        context["widget"]["placeholder"] = self.placeholder
        return context
