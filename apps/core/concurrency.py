from __future__ import annotations

from django.db import models
from django.db.models import F


class StaleObjectError(Exception):
    """Someone else changed the object since it was read: reload and try again."""

    def __init__(self, obj: models.Model, expected: int | None = None):
        self.obj = obj
        self.expected = expected
        super().__init__(
            f"{obj._meta.verbose_name.capitalize()} was changed by someone else "
            f"(you had version {expected}). Reload it and try again."
        )


def save_versioned(obj, *, expected_version: int | None, update_fields: list[str]) -> None:
    """UPDATE … WHERE version = expected; raise StaleObjectError when nothing matched.

    `expected_version` None means "the version this instance was loaded with".
    The compare-and-set happens in the database, so two processes cannot both win.
    """
    expected = obj.version if expected_version is None else expected_version
    values = {name: getattr(obj, obj._meta.get_field(name).attname) for name in update_fields}
    if "updated_at" in {f.name for f in obj._meta.concrete_fields}:
        from django.utils import timezone

        obj.updated_at = timezone.now()
        values["updated_at"] = obj.updated_at
    rows = (
        type(obj)
        ._base_manager.filter(pk=obj.pk, version=expected)
        .update(version=F("version") + 1, **values)
    )
    if rows != 1:
        raise StaleObjectError(obj, expected)
    obj.version = expected + 1


def lock_for_update(obj, *, expected_version: int | None):
    """A fresh copy of `obj`, row-locked until the transaction ends; 409 if it moved on."""
    locked = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleObjectError(locked, expected_version)
    return locked


def refuse_unknown_fields(fields, allowed) -> None:
    """Bad input answers with the fields that cannot be written, and writes nothing."""
    from django.core.exceptions import ValidationError

    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({k: ["This field cannot be changed."] for k in sorted(unknown)})
