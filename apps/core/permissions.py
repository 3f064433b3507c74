"""Object visibility shared by every app.

Internal staff see an object type when their role holds the model's `view`
permission. Customer and supplier contacts see only objects granted to their
organization's group through guardian. Everything else answers 404, so the
existence of another organization's objects never leaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm
from guardian.utils import get_group_obj_perms_model

if TYPE_CHECKING:
    from apps.core.types import OrganizationLike as Organization
    from apps.core.types import UserLike as User

M = TypeVar("M", bound=Model)


def view_codename(model: type[Model]) -> str:
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


def grant_org_access(obj: Model, organization: Organization, perm: str | None = None) -> None:
    """Let every contact of `organization` see `obj` (default: the model's view perm)."""
    if organization.group_id is None:
        raise ValueError(f"{organization} has no access group; internal objects need no grant.")
    assign_perm(perm or view_codename(type(obj)), organization.group, obj)


def revoke_org_access(obj: Model, organization: Organization, perm: str | None = None) -> None:
    if organization.group_id is not None:
        remove_perm(perm or view_codename(type(obj)), organization.group, obj)


def is_internal(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and not user.is_external)


def sees_every(user: User, model: type[Model], perm: str | None = None) -> bool:
    """Whether `visible_to` gives `user` every row of `model`: staff with its view
    permission. Their queries then carry no visibility filter, the same SQL for all."""
    return is_internal(user) and user.has_perm(perm or view_codename(model))


def visible_to(user: User, queryset: QuerySet[M], perm: str | None = None) -> QuerySet[M]:
    """Narrow `queryset` to what `user` may see. Fails closed: anything unknown sees nothing."""
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    model = queryset.model
    perm = perm or view_codename(model)
    if not user.is_external:
        return queryset if sees_every(user, model, perm) else queryset.none()
    org = user.organization
    if org is None or org.group_id is None or not org.is_active:
        return queryset.none()
    return queryset.filter(pk__in=_granted_to_group(org.group_id, model, perm))


def _granted_to_group(group_id: int, model: type[Model], perm: str) -> QuerySet:
    """A subquery of the pks granted to the group, so the filter stays one SQL query.

    Only the organization's group grants count: guardian's per-user shortcut
    would also return every row to a holder of the model-wide permission, and
    its group shortcut evaluates the granted ids into a Python list first.
    """
    codename = perm.split(".", 1)[-1]
    ctype = ContentType.objects.get_for_model(model)
    perm_model = get_group_obj_perms_model(model)
    grants = perm_model.objects.filter(
        group_id=group_id, permission__codename=codename, permission__content_type=ctype
    )
    if perm_model.objects.is_generic():
        pk_field = model._meta.pk
        return (
            grants.filter(content_type=ctype)
            .annotate(obj_pk=Cast("object_pk", output_field=pk_field.__class__()))
            .values("obj_pk")
        )
    return grants.values("content_object_id")


def get_visible_or_404(user: User, queryset: QuerySet[M], perm: str | None = None, **lookup) -> M:
    try:
        return visible_to(user, queryset, perm).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        # ValueError/TypeError: a malformed id in the URL is just "not found".
        raise Http404 from None
