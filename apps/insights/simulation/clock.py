"""The simulated clock: `timezone.now()` / `timezone.localdate()` answer the simulated day.

Services read the time through `django.utils.timezone.now` (directly or through
`localdate`), so patching that one function moves every "today" they compute.
Model defaults bound to the function at import (`created_at`) keep the real
time, which the simulation never reads.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone


@contextmanager
def simulated_day(day: dt.date, hour: int = 9):
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    with mock.patch.object(timezone, "now", return_value=moment):
        yield moment
