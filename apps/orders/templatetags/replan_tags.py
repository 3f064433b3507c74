from __future__ import annotations

from django import template

from apps.orders.replan import EXPEDITE_ROLES, order_expedite_refusal

register = template.Library()


@register.simple_tag
def expedite_state(order, user) -> dict:
    """{"show": the user is one who expedites, "refusal": why not now ("" when possible)}."""
    show = bool(getattr(user, "is_authenticated", False) and user.has_role(*EXPEDITE_ROLES))
    return {"show": show, "refusal": order_expedite_refusal(order, user) if show else ""}
