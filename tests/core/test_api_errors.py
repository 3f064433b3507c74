"""The API's error shapes (apps/core/api.py), as every collection answers them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.accounts.models import Organization
from apps.core.api import TransitionConflict
from apps.core.errors import FieldErrors
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed

factory = APIRequestFactory()


def answer(exc: Exception):
    """What the API answers when a view raises `exc`."""

    class Raising(APIView):
        permission_classes = [AllowAny]
        authentication_classes = []

        def post(self, request):
            raise exc

    response = Raising.as_view()(factory.post("/api/v1/things/1/", {}, format="json"))
    response.render()
    return response


def test_transition_conflict_is_409_with_the_allowed_transitions():
    res = answer(
        TransitionConflict(
            "A sent quote cannot be submitted.",
            allowed_transitions=["revise", "cancel", "accept"],
            state="sent",
        )
    )
    assert res.status_code == 409
    assert res.data == {
        "detail": "A sent quote cannot be submitted.",
        "allowed_transitions": ["accept", "cancel", "revise"],
        "state": "sent",
    }


def test_transition_conflict_has_a_default_message_and_may_allow_nothing():
    res = answer(TransitionConflict())
    assert res.status_code == 409
    assert res.data == {
        "detail": "This transition is not possible from the current state.",
        "allowed_transitions": [],
    }
    assert res.data["detail"].code == "transition_conflict"


def test_a_service_transition_error_answers_like_transition_conflict():
    res = answer(TransitionNotAllowed("Already approved.", allowed=["send", "revise"]))
    assert res.status_code == 409
    assert res.data == {"detail": "Already approved.", "allowed_transitions": ["send", "revise"]}


def test_a_forbidden_transition_is_403():
    res = answer(TransitionForbidden("Only sales may send a quote."))
    assert res.status_code == 403
    assert res.data["detail"] == "Only sales may send a quote."


@pytest.mark.django_db
def test_not_found_never_names_the_model():
    def lookup():
        get_object_or_404(Organization, code="NOBODY")

    class Lookup(APIView):
        permission_classes = [AllowAny]
        authentication_classes = []

        def get(self, request):
            lookup()

    res = Lookup.as_view()(factory.get("/api/v1/organizations/x/"))
    assert res.status_code == 404
    assert res.data == {"detail": "Not found."}


def test_a_django_validation_error_from_a_service_is_400_with_field_errors():
    res = answer(DjangoValidationError({"requested_date": ["Must be in the future."]}))
    assert res.status_code == 400
    assert res.data == {"requested_date": ["Must be in the future."]}


def test_nested_field_errors_keep_their_nesting():
    res = answer(FieldErrors({"configuration": {"motor": ["Pick a motor."]}}))
    assert res.status_code == 400
    assert res.data == {"configuration": {"motor": ["Pick a motor."]}}


def test_a_django_permission_denied_is_403():
    res = answer(PermissionDenied("Finance approves credit holds."))
    assert res.status_code == 403
    assert res.data == {"detail": "Finance approves credit holds."}


def test_drf_errors_keep_drfs_shape():
    res = answer(serializers.ValidationError({"comment": ["Too long."]}))
    assert res.status_code == 400
    assert res.data == {"comment": ["Too long."]}


def test_an_unexpected_error_is_not_turned_into_a_client_error():
    with pytest.raises(ZeroDivisionError):
        answer(ZeroDivisionError())
