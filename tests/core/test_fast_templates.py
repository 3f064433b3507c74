"""The template shortcuts a list pays per row give what Django's own tags give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template import engines
from django.template.defaultfilters import date as django_date
from django.test import override_settings
from django.utils import translation

from apps.core.templatetags.tandem import status_badge

FORMATS = ["M j, Y", "Y-m-d", "M j", "D, j F Y", "N jS"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_date_filter_formats_dates_as_django_does(language):
    days = [dt.date(2026, 1, 1), dt.date(2026, 3, 2), dt.date(2027, 12, 31)]
    template = engines["django"].from_string("{{ day|date:fmt }}")
    with translation.override(language):
        for day in days:
            for fmt in FORMATS:
                expected = django_date(day, fmt)
                # twice: the second answer comes from the memo
                assert template.render({"day": day, "fmt": fmt}) == expected
                assert template.render({"day": day, "fmt": fmt}) == expected


def test_the_date_filter_leaves_datetimes_and_bad_values_to_django():
    template = engines["django"].from_string('{{ when|date:"M j, Y H:i" }}|{{ bad|date:"Y" }}')
    when = dt.datetime(2026, 5, 4, 13, 30, tzinfo=dt.UTC)
    with override_settings(TIME_ZONE="Europe/Berlin"):
        assert template.render({"when": when, "bad": "x"}) == "May 4, 2026 15:30|"


def test_the_status_badge_is_escaped_markup():
    html = status_badge("in_production", "In <production>")
    assert html == (
        '<span class="badge text-bg-primary status-badge" data-state="in_production">'
        "In &lt;production&gt;</span>\n"
    )
    assert 'data-state="weird"' in status_badge("weird") and "Weird" in status_badge("weird")


def test_templates_are_cached_between_requests():
    # template_partials wraps Django's cached loader: a template is parsed once per process.
    loaders = settings.TEMPLATES[0]["OPTIONS"]["loaders"]
    assert loaders[0][0] == "template_partials.loader.Loader"
    assert loaders[0][1][0][0] == "django.template.loaders.cached.Loader"
    engine = engines["django"].engine
    assert engine.get_template("base.html") is engine.get_template("base.html")
