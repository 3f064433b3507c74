"""Running django-fsm transitions the one way every app does it.

`run_transition` locks the row, checks the caller's expected version, the
source state, the permission and the conditions (in that order, so each
refusal says precisely why), fires the transition, saves through
ConcurrentTransitionMixin, bumps the version and writes the audit entry, all
in one transaction. Side effects are the caller's, queued with on_commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django_fsm import can_proceed

from apps.core.concurrency import StaleObjectError
from apps.core.models import ActivityKind, Audience
from apps.core.services import activity_record, activity_record_transition


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


def condition(message: str | Callable[[Any], str]) -> Callable:
    """Give a transition condition the sentence shown when it fails.

    A callable message gets the object, so the sentence can name what is missing.
    """

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


def _condition_messages(transition, obj) -> list[str]:
    failed = []
    for cond in transition.conditions or ():
        if not cond(obj):
            message = getattr(cond, "message", cond.__name__.replace("_", " "))
            failed.append(message(obj) if callable(message) else message)
    return failed


def _failed_conditions(method, state) -> list[str]:
    t = method._django_fsm.get_transition(state)
    return [] if t is None else _condition_messages(t, method.__self__)


def _not_yet(name: str, failed: list[str]) -> str:
    return f"Cannot {name.replace('_', ' ')} yet: " + "; ".join(failed) + "."


def _forbidden(name: str, obj: models.Model) -> str:
    return f"You may not {name.replace('_', ' ')} this {obj._meta.verbose_name}."


@dataclass(frozen=True)
class TransitionOption:
    """One way out of the current state, as one user sees it."""

    name: str
    permitted: bool  # the user's role may fire it at all
    allowed: bool  # permitted, and every condition holds now
    reason: str = ""  # why this user cannot fire it now ("" when allowed)
    unmet: str = ""  # the failed conditions' sentence, whoever asks ("" when all hold)


def transition_options(obj: models.Model, user, field: str = "state") -> list[TransitionOption]:
    """Every transition out of `obj`'s current state with (allowed, reason) for `user`.

    A button whose condition fails is shown disabled with the condition's own
    refusal sentence (the one run_transition answers with), never just hidden.
    """
    fsm_field = obj._meta.get_field(field)
    state = getattr(obj, field)
    options = []
    for name, method in fsm_field.transitions[type(obj)].items():
        meta = method._django_fsm
        if not meta.has_transition(state):
            continue
        t = meta.get_transition(state)
        permitted = t.has_perm(obj, user)
        failed = _condition_messages(t, obj)
        unmet = _not_yet(name, failed) if failed else ""
        reason = unmet if permitted else _forbidden(name, obj)
        options.append(TransitionOption(name, permitted, permitted and not failed, reason, unmet))
    return options


AUDIENCE_WORDS = {
    Audience.INTERNAL: "staff",
    Audience.CUSTOMER: "the customer",
    Audience.SUPPLIER: "the supplier",
}


def comment_goes_apart(actor, comment: str, audience: str, comment_audience: str | None) -> bool:
    """Whether `comment` on a step seen by `audience` must be an internal entry of its own.

    A staff member's comment is internal unless they mark it for the step's
    audience (`comment_audience`): on a step the customer sees, an internal
    comment is recorded apart from the entry. People outside the company (and
    the system, whose texts are written for the step's audience) comment
    where they act. Raises ValidationError for an audience the step cannot have.
    """
    chosen = comment_audience or Audience.INTERNAL
    if chosen not in AUDIENCE_WORDS:
        raise ValidationError({"comment_audience": ["Choose who sees the comment."]})
    if not comment or not getattr(actor, "pk", None) or getattr(actor, "is_external", False):
        return False
    if chosen == Audience.INTERNAL:
        return audience != Audience.INTERNAL
    if chosen != audience:
        seen_by = (
            "Only staff see this step, so its comment stays internal"
            if audience == Audience.INTERNAL
            else f"Staff and {AUDIENCE_WORDS[audience]} see this step"
        )
        raise ValidationError(
            {"comment_audience": [f"{seen_by}; it cannot be shown to {AUDIENCE_WORDS[chosen]}."]}
        )
    return False


def record_comment_apart(target: models.Model, actor, comment: str) -> None:
    activity_record(
        target=target, actor=actor, verb="commented", kind=ActivityKind.COMMENT, text=comment
    )


def run_transition(
    *,
    obj: models.Model,
    name: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    audience: str = Audience.INTERNAL,
    comment_audience: str | None = None,
    field: str = "state",
    kwargs: dict[str, Any] | None = None,
    before: Callable[[models.Model], None] | None = None,
) -> models.Model:
    """Fire transition `name` on a locked fresh copy of `obj` and return that copy.

    The audit entry is seen by `audience`; a staff comment goes with it only
    when `comment_audience` says so, else it is an internal entry of its own
    (see `comment_goes_apart`).
    """
    if name not in transition_names(obj, field):
        raise UnknownTransition(f"“{name}” is not a transition of {obj._meta.verbose_name}.")
    apart = comment_goes_apart(actor, comment, audience, comment_audience)
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
            raise TransitionForbidden(_forbidden(name, locked), allowed=allowed)
        failed = _failed_conditions(method, from_state)
        if failed:
            raise TransitionNotAllowed(_not_yet(name, failed), allowed=allowed)
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
            comment="" if apart else comment,
            audience=audience,
        )
        if apart:
            record_comment_apart(locked, actor, comment)
    return locked
