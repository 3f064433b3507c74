"""Form widgets for choices that grow with the data."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


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


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}")
        if value is not True:
            out.append(f'="{conditional_escape(value)}"')
    return "".join(out)


class FastSelect(forms.Select):
    """A <select> rendered in Python, to the byte what Django's select.html and
    select_option.html render (tests/core/test_widgets.py compares them).

    The templates cost about a hundred function calls per option: a 200-line
    order's "Which line?" select was a third of its portal page.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        name_html = conditional_escape(widget["name"])
        out = [f'<select name="{name_html}"{_attrs_html(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group_choices:
                out.append(
                    f'\n  <option value="{conditional_escape(option["value"])}"'
                    f"{_attrs_html(option['attrs'])}>{conditional_escape(option['label'])}"
                    "</option>\n"
                )
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")  # the form renderer strips the template's last newline
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
