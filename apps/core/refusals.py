"""How a page answers a service's refusal: one message, status and allowed list for
every kind of refusal, shared by the staff pages of every app."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.concurrency import StaleObjectError
from apps.core.transitions import TransitionError

REFUSED = (TransitionError, StaleObjectError, ValidationError, PermissionDenied)


def service_error(exc: Exception) -> tuple[str, int, list[str]]:
    """(message, HTTP status, allowed transitions) for a refused service call."""
    if isinstance(exc, TransitionError):
        return exc.message, exc.status, exc.allowed
    if isinstance(exc, StaleObjectError):
        return str(exc), 409, []
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            text = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        else:
            text = " ".join(exc.messages)
        return text, 400, []
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You may not do this.", 403, []
    raise exc
