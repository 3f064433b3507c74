from __future__ import annotations

from django import template

from apps.accounts import selectors

register = template.Library()


@register.filter
def opens_directory_of(user, organization) -> bool:
    """Whether `user` may open `organization`'s directory page: link it only then."""
    return organization is not None and organization.kind in selectors.organization_kinds_for(user)
