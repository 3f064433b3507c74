"""FastSelect renders what Django's Select renders, byte for byte."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe

from apps.core.widgets import FastSelect

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
