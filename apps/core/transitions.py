"""Running django-fsm transitions the one way every app does it.

`run_transition` locks the row, checks the caller's expected version, the
source state, the permission and the conditions (in that order, so each
refusal says precisely why), fires the transition, saves through
ConcurrentTransitionMixin, bumps the version and writes the audit entry, all
in one transaction. Side effects are the caller's, queued with on_commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django_fsm import can_proceed

from apps.core.concurrency import StaleObjectError
from apps.core.models import Audience
from apps.core.services import activity_record_transition


class TransitionError(Exception):
    status = 409

    def __init__(self, message: str, *, allowed: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.allowed = allowed or []


class TransitionNotAllowed(TransitionError):
    """Not possible now: wrong state, unmet condition, or changed meanwhile (409)."""


class TransitionForbidden(TransitionError):
    """The caller may see the object but not fire this transition (403)."""

    status = 403


class UnknownTransition(TransitionError):
    status = 404


def condition(message: str) -> Callable:
    """Give a transition condition the sentence shown when it fails."""

    def wrap(func):
        func.message = message
        return func

    return wrap


def transition_names(obj: models.Model, field: str = "state") -> set[str]:
    return {t.name for t in getattr(obj, f"get_all_{field}_transitions")()}


def available_transitions(obj: models.Model, user, field: str = "state") -> list[str]:
    """Transitions `user` may fire now: right state, permission and conditions met."""
    names = {t.name for t in getattr(obj, f"get_available_user_{field}_transitions")(user)}
    return sorted(names)


def _failed_conditions(method, state) -> list[str]:
    meta = method._django_fsm
    t = meta.get_transition(state)
    if t is None:
        return []
    failed = []
    for cond in t.conditions:
        if not cond(method.__self__):
            failed.append(getattr(cond, "message", cond.__name__.replace("_", " ")))
    return failed


def run_transition(
    *,
    obj: models.Model,
    name: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    audience: str = Audience.INTERNAL,
    field: str = "state",
    kwargs: dict[str, Any] | None = None,
    before: Callable[[models.Model], None] | None = None,
) -> models.Model:
    """Fire transition `name` on a locked fresh copy of `obj` and return that copy."""
    if name not in transition_names(obj, field):
        raise UnknownTransition(f"“{name}” is not a transition of {obj._meta.verbose_name}.")
    with transaction.atomic():
        locked = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        allowed = available_transitions(locked, actor, field)
        if expected_version is not None and locked.version != expected_version:
            raise StaleObjectError(locked, expected_version)
        method = getattr(locked, name)
        from_state = getattr(locked, field)
        if not can_proceed(method, check_conditions=False):
            raise TransitionNotAllowed(
                f"Cannot {name.replace('_', ' ')} a {locked._meta.verbose_name} that is "
                f"{from_state.replace('_', ' ')}.",
                allowed=allowed,
            )
        # django-fsm's has_transition_perm() also checks conditions; ask the
        # permission alone so a refusal says "forbidden" only when it is.
        if not method._django_fsm.has_transition_perm(locked, from_state, actor):
            raise TransitionForbidden(
                f"You may not {name.replace('_', ' ')} this {locked._meta.verbose_name}.",
                allowed=allowed,
            )
        failed = _failed_conditions(method, from_state)
        if failed:
            raise TransitionNotAllowed(
                f"Cannot {name.replace('_', ' ')} yet: " + "; ".join(failed) + ".",
                allowed=allowed,
            )
        if before is not None:
            before(locked)
        method(**(kwargs or {}))
        if hasattr(locked, "version"):
            locked.version += 1
        locked.save()
        activity_record_transition(
            target=locked,
            actor=actor if getattr(actor, "pk", None) else None,
            transition=name,
            from_state=from_state,
            to_state=getattr(locked, field),
            comment=comment,
            audience=audience,
        )
    return locked
