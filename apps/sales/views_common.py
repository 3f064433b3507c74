"""What the staff detail pages share: the workflow buttons, the refusal answers and
the one view every workflow button posts to.

A detail page (quote, order) is an apps.core.pages.DetailPage, shared with the
portal; `transition_post` here is that module's helper with the staff form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse

from apps.core import pages
from apps.core.models import Audience
from apps.core.pages import REFUSED, DetailPage, service_error  # noqa: F401 (the staff views import them here)
from apps.core.permissions import is_internal
from apps.core.transitions import transition_options


def require_staff(user) -> None:
    # The middleware already answers 404 to contacts under /sales/; this holds
    # even if a route is mounted elsewhere.
    if not is_internal(user):
        raise Http404


class TransitionForm(pages.TransitionForm):
    """The staff workflow button's form (apps.core.pages.TransitionForm)."""


class AudienceTransitionForm(TransitionForm):
    """A step the customer sees: a staff comment is internal unless the box
    "Customer sees the comment" is ticked."""

    customer_sees = forms.BooleanField(required=False)

    def service_kwargs(self) -> dict[str, Any]:
        audience = Audience.CUSTOMER if self.cleaned_data["customer_sees"] else Audience.INTERNAL
        return {**super().service_kwargs(), "comment_audience": audience}


@dataclass(frozen=True)
class Action:
    label: str
    tone: str = "outline-secondary"
    icon: str = "arrow-right"


def workflow_actions(
    obj: models.Model,
    user,
    table: dict[str, Action],
    url: Callable[[str], str],
    skip: frozenset[str] = frozenset(),
    customer_sees: frozenset[str] = frozenset(),
) -> dict:
    """The page's buttons for `user`, in the table's order.

    `buttons`: transitions the user's role may fire, each `allowed` or disabled
    with the condition's refusal sentence in `reason`; `others`: transitions
    of this state that wait on someone else's role. Transitions missing from
    the table (the scheduler's) or in `skip` (a step the page offers through its
    own form) are not shown. `options` maps every transition
    of the state to its TransitionOption. Transitions in `customer_sees` are on
    the customer's timeline: their comment box offers to show the comment to the
    customer too (it is internal otherwise).
    """
    options = {o.name: o for o in transition_options(obj, user)}
    buttons, others = [], []
    for name, action in table.items():
        option = options.get(name)
        if option is None or name in skip:
            continue
        item = {
            "name": name,
            "label": action.label,
            "tone": action.tone,
            "icon": action.icon,
            "allowed": option.allowed,
            "reason": option.reason,
            "unmet": option.unmet,
            "url": url(name),
            "customer_sees": name in customer_sees,
        }
        (buttons if option.permitted else others).append(item)
    return {"buttons": buttons, "others": others, "options": options}


def transition_post(
    request: HttpRequest, page: DetailPage, pk, *, audience: bool = False, **kwargs
) -> HttpResponse:
    """One workflow button (apps.core.pages.transition_post with the staff form).

    With `audience` (a step the customer sees), the service also gets
    `comment_audience` from the "Customer sees the comment" box.
    """
    kwargs.setdefault("form_class", AudienceTransitionForm if audience else TransitionForm)
    return pages.transition_post(request, page, pk, **kwargs)
