"""Form widgets for choices that grow with the data."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import stringformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime


class RemembersChosen:
    """A ModelChoiceField mixin that keeps the row it validated as `chosen`: a
    LookupSelect writes its chosen option from that row instead of reading it again
    (a list filtered by customer read the customer twice: to validate, to show).
    Form fields are copied per form, so `chosen` is this request's."""

    chosen = None

    def to_python(self, value):
        row = super().to_python(value)
        self.chosen = row if hasattr(row, "_meta") else None
        return row


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
        known = getattr(self.choices.field, "chosen", None)
        if known is not None and chosen == [str(known.pk)]:
            # The row the field read to validate this value (RemembersChosen).
            options.append((chosen[0], str(known)))
        elif chosen:
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
        # The <select> in Python (the template included select.html, newline and all).
        context["widget"]["select"] = mark_safe(select_html(context["widget"]) + "\n")  # noqa: S308
        return context


# -- widgets rendered in Python ---------------------------------------------------
#
# Django renders every widget through templates: a filter bar's four fields cost
# about 9,000 function calls (django/forms/widgets/attrs.html alone is a loop, two
# ifs and a filter per attribute, each under a pushed Context). The functions
# below write what Django's own templates write, to the byte (tests/core/
# test_widgets.py renders both and compares), and PythonWidgetRenderer (the
# FORM_RENDERER) uses them for those templates. Django's form renderer reads its
# django/forms/... templates before any app's, so what these templates say is
# known; every other template goes to the templates as before.

WIDGETS = "django/forms/widgets/"
# The templates that are only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"


def _text(value) -> str:
    """`{{ value }}` with autoescape (django.template.base.render_value_in_context)."""
    if type(value) is str:
        # A plain str (not SafeData): localize and localtime leave it as it is.
        return escape(value)
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def _string(value) -> str:
    """`{{ value|stringformat:'s' }}` (the filter keeps a safe string safe)."""
    if type(value) is str:
        return escape(value)  # "%s" % value is value
    text = stringformat(value, "s")
    return _text(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python."""
    out = []
    for name, value in attrs.items():
        if value is not False:
            out.append(f" {_text(name)}")
            if value is not True:
                out.append(f'="{_string(value)}"')
    return "".join(out)


def input_html(widget: dict) -> str:
    """django/forms/widgets/input.html in Python."""
    value = widget["value"]
    shown = f' value="{_string(value)}"' if value != None else ""  # noqa: E711 - as the template
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs_html(widget['attrs'])}>"
    )


def select_html(widget: dict) -> str:
    """django/forms/widgets/select.html (with select_option.html) in Python, stripped
    as the form renderer strips it."""
    out = [f'<select name="{_text(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{_string(option["value"])}"'
                f"{_attrs_html(option['attrs'])}>{_text(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def textarea_html(widget: dict) -> str:
    """django/forms/widgets/textarea.html in Python."""
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs_html(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


def _options_are_plain(widget: dict) -> bool:
    return all(
        option.get("template_name") == OPTION_TEMPLATE
        for _name, options, _index in widget["optgroups"]
        for option in options
    )


class PythonWidgetRenderer(DjangoTemplates):
    """The form renderer: Django's input, select and textarea widget templates are
    written in Python (same text); anything else is rendered by its template."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if widget is not None:
            if template_name in INPUT_TEMPLATES:
                return input_html(widget)
            if template_name == SELECT_TEMPLATE and _options_are_plain(widget):
                return select_html(widget)
            if template_name == TEXTAREA_TEMPLATE:
                return textarea_html(widget)
        return super().render(template_name, context, request=request)


class FastSelect(forms.Select):
    """A <select> rendered in Python whatever the form renderer, to the byte what
    Django's select.html and select_option.html render (tests/core/test_widgets.py
    compares them).

    The templates cost about a hundred function calls per option: a 200-line
    order's "Which line?" select was a third of its portal page.
    """

    def render(self, name, value, attrs=None, renderer=None):
        return mark_safe(select_html(self.get_context(name, value, attrs)["widget"]))  # noqa: S308


# html.escape(s) (quote=True) as one str.translate: the same five characters, each
# replaced once (tests/core/test_widgets.py).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


class ModelNameSelect(forms.Select):
    """A ModelChoiceField's <select> read as (pk, `label`) rows and written straight
    out: to the byte what Select renders when the field's labels are `str(obj)` and
    `str(obj)` is the `label` column (tests/core/test_widgets.py compares them).

    No model instance and no option dict per choice: Django's optgroups build about
    sixty function calls per option, and a list of 200 suppliers was a third of the
    expected receipts page.
    """

    def __init__(self, attrs=None, label: str = "name") -> None:
        super().__init__(attrs)
        self.label = label

    def render(self, name, value, attrs=None, renderer=None):
        field = self.choices.field
        rows = field.queryset.values_list("pk", self.label)
        wanted = set(self.format_value(value))
        out = [f'<select name="{_text(name)}"{_attrs_html(self.build_attrs(self.attrs, attrs))}>']
        found = False
        options = [] if field.empty_label is None else [("", field.empty_label)]
        # A pk is its own value (ModelChoiceField.prepare_value of a non-instance).
        options += [(str(pk), label) for pk, label in rows]
        for key, label in options:
            selected = not found and key in wanted
            found = found or selected
            # A plain str is escaped as the template would (django's escape is
            # html.escape: one translate per string rather than its five replaces).
            text = label.translate(_ESCAPES) if type(label) is str else _text(label)
            out.append(
                f'\n  <option value="{key.translate(_ESCAPES)}"{" selected" if selected else ""}>'
                f"{text}</option>\n"
            )
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value escaped by _text
