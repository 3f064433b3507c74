"""Django's `date` filter, memoised for plain dates (a template builtin, see settings).

Lists print a few dates per row (`valid_until|date:"M j, Y"` and its ISO form for
`<time datetime>`), and Django formats each one from scratch: parse the format
string, build a DateFormat, translate the month name. That was about a tenth of
a list page's time (bench). A date's text depends only on the date, the format
and the active language, and the dates of a list repeat, so they are memoised
(bounded). Datetimes, and a missing format (it comes from settings), go straight
to Django's filter: their text also depends on the time zone.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django import template
from django.template.defaultfilters import date as django_date
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=4096)
def _formatted_day(value: dt.date, arg: str, language: str | None) -> str:
    return django_date(value, arg)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if type(value) is dt.date and arg:
        return _formatted_day(value, arg, get_language())
    return django_date(value, arg)
