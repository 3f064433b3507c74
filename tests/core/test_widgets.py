"""FastSelect and the form renderer write what Django's widget templates write, byte for byte."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.http import QueryDict
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from apps.core.widgets import FastSelect, ModelNameSelect, PythonWidgetRenderer

CHOICES = [
    ("", "The whole order"),
    ("1", 'Line 1 · Pump <P-100> & "motor"'),
    (2, "Line 2 · 'Valve'"),
    ("3", mark_safe("Line 3 · <b>safe</b>")),
]
GROUPED = [
    ("Pumps & <motors>", [("p1", "Pump 1"), ("p2", "Pump 2")]),
    ("x", "Loose"),
    ("Valves", [("v1", "Valve 1")]),
]


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
@pytest.mark.parametrize("value", [None, "", "1", 2, "p2", "v1", "missing"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"class": "form-select form-select-sm", "id": "id_line"},
        {"required": True, "disabled": False, "data-x": 'a"b<c>', "aria-describedby": "h"},
    ],
)
def test_fast_select_renders_what_select_renders(choices, value, attrs):
    assert FastSelect(choices=choices).render("line", value, attrs) == forms.Select(
        choices=choices
    ).render("line", value, attrs)


def test_fast_select_in_a_form_field(db):
    class Form(forms.Form):
        fast = forms.ChoiceField(choices=CHOICES, widget=FastSelect, required=False)
        slow = forms.ChoiceField(choices=CHOICES, required=False)

    form = Form(data={"fast": "1", "slow": "1"})
    assert form.is_valid()
    fast, slow = str(form["fast"]), str(form["slow"])
    assert fast.replace("fast", "slow") == slow
    assert 'value="1" selected>' in fast


# -- PythonWidgetRenderer (the FORM_RENDERER) ---------------------------------------

TEMPLATES = DjangoTemplates()
PYTHON = PythonWidgetRenderer()
ATTRS = [
    None,
    {"class": "form-control form-control-sm list-filter", "id": "filter-q"},
    {"required": True, "disabled": False, "data-x": 'a"b<c>', "size": 3, "maxlength": 100},
    {"placeholder": mark_safe("<b>safe</b>"), "aria-label": gettext_lazy("Search")},
]
INPUT_WIDGETS = [
    forms.TextInput,
    forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput(render_value=True),
    forms.HiddenInput,
    forms.DateInput(attrs={"type": "date"}),
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.Textarea(attrs={"rows": 2}),
    forms.SearchInput,
    forms.ColorInput,
    forms.TelInput,
]
VALUES = [
    None,
    "",
    "abc",
    'x "<&>" y',
    mark_safe("<i>safe</i>"),
    0,
    12,
    True,
    False,
    dt.date(2026, 3, 4),
    dt.datetime(2026, 3, 4, 5, 6, 7),
    Decimal("1.50"),
]


def _widget(widget):
    return widget() if isinstance(widget, type) else copy.deepcopy(widget)


def _name(widget) -> str:
    return getattr(widget, "__name__", None) or type(widget).__name__


def _index(value) -> str:
    # Stable across xdist workers (a repr may hold an address).
    return type(value).__name__


@pytest.mark.parametrize("widget", INPUT_WIDGETS, ids=_name)
@pytest.mark.parametrize("value", VALUES, ids=_index)
@pytest.mark.parametrize("attrs", ATTRS, ids=_index)
def test_python_renderer_writes_what_the_input_templates_write(widget, value, attrs):
    widget = _widget(widget)
    assert widget.render("field", value, attrs, renderer=PYTHON) == widget.render(
        "field", value, attrs, renderer=TEMPLATES
    )


@pytest.mark.parametrize(
    "widget",
    [
        forms.Select(choices=CHOICES),
        forms.Select(choices=GROUPED),
        forms.Select(choices=[]),
        forms.SelectMultiple(choices=CHOICES),
        forms.SelectMultiple(choices=GROUPED, attrs={"size": 3}),
    ],
    ids=_name,
)
@pytest.mark.parametrize("value", [None, "", "1", 2, ["1", 2], ["p1", "v1"], "missing", True])
@pytest.mark.parametrize("attrs", ATTRS, ids=_index)
def test_python_renderer_writes_what_the_select_templates_write(widget, value, attrs):
    assert widget.render("line", value, attrs, renderer=PYTHON) == widget.render(
        "line", value, attrs, renderer=TEMPLATES
    )


def test_python_renderer_leaves_other_templates_to_the_templates():
    # Radio buttons and a select whose options have a template of their own.
    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    for widget in (
        forms.RadioSelect(choices=CHOICES),
        forms.CheckboxSelectMultiple(choices=CHOICES),
        OwnOption(choices=CHOICES),
        forms.ClearableFileInput(),
        forms.NullBooleanSelect(),
        forms.SelectDateWidget(),
    ):
        assert widget.render("x", "1", {"id": "x"}, renderer=PYTHON) == widget.render(
            "x", "1", {"id": "x"}, renderer=TEMPLATES
        )


def test_the_project_renders_widgets_in_python():
    assert isinstance(get_default_renderer(), PythonWidgetRenderer)


def _bound_forms(user):
    """The list filter bars (bound and unbound, good and bad values) and some forms."""
    from apps.accounts.directory import OrganizationFilter
    from apps.accounts.models import Organization
    from apps.orders.models import Quote, SalesOrder
    from apps.sales.forms_builder import QuoteCreateForm
    from apps.sales.views_inquiries import InquiryListFilter
    from apps.sales.views_opportunities import OpportunityListFilter
    from apps.sales.views_orders import OrderListFilter
    from apps.sales.views_quotes import QuoteListFilter

    customer = Organization.objects.filter(kind="customer").first()
    data = [
        None,
        QueryDict(""),
        QueryDict(f"q=ab%3Cc%3E&state=sent&state=draft&customer={customer.pk}&ordering=-total"),
        QueryDict("q=x&state=nope&customer=not-a-uuid&ordering=made-up"),
    ]
    for values in data:
        yield QuoteListFilter(values, queryset=Quote.objects.all()).form
        yield OrderListFilter(values, queryset=SalesOrder.objects.all()).form
        yield InquiryListFilter(values).form
        yield OpportunityListFilter(values).form
        yield OrganizationFilter(values, queryset=Organization.objects.all()).form
    yield QuoteCreateForm(user=user)
    bad = {"customer": str(customer.pk), "title": '<"x">', "valid_until": "x"}
    yield QuoteCreateForm(user=user, data=bad)


def test_the_filter_bars_and_forms_render_the_same_in_python(acme, sales_rep):
    for form in _bound_forms(sales_rep):
        fields = list(form)
        python = [str(field) for field in fields]
        form.renderer = TEMPLATES
        assert python == [str(field) for field in fields], type(form).__name__


@pytest.mark.parametrize("selected", [None, "", "second", "missing"])
@pytest.mark.parametrize("empty_label", ["---------", None])
def test_model_name_select_renders_what_select_renders(db, selected, empty_label):
    from apps.accounts.models import Organization, OrganizationKind
    from tests.factories import OrganizationFactory

    OrganizationFactory(name='Pumps <& "Motors">', kind=OrganizationKind.SUPPLIER)
    second = OrganizationFactory(name="Valves 'R' Us", kind=OrganizationKind.SUPPLIER)
    queryset = Organization.objects.filter(kind=OrganizationKind.SUPPLIER)
    value = {"second": str(second.pk), "missing": "00000000-0000-0000-0000-000000000000"}
    value = value.get(selected, selected)

    class Form(forms.Form):
        fast = forms.ModelChoiceField(
            queryset=queryset, widget=ModelNameSelect, empty_label=empty_label
        )
        slow = forms.ModelChoiceField(queryset=queryset, empty_label=empty_label)

    for form in (Form(), Form(data={"fast": value, "slow": value})):
        form.fields["fast"].widget.attrs["class"] = "form-select"
        form.fields["slow"].widget.attrs["class"] = "form-select"
        fast, slow = str(form["fast"]), str(form["slow"])
        assert fast.replace("fast", "slow") == slow
        assert "Pumps &lt;&amp; &quot;Motors&quot;&gt;" in fast
    if selected == "second":
        assert f'value="{second.pk}" selected>' in fast
