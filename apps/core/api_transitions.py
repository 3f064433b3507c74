"""API plumbing for objects with a state machine.

`exception_to_response` turns service-layer errors into precise API answers:
400 with field errors, 403, 404 and 409 with the allowed transitions.
`TransitionViewSetMixin` adds `state`-machine actions:
POST <collection>/<id>/transitions/<name>/ with an optional comment and version.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.concurrency import StaleObjectError
from apps.core.limits import COMMENT_MAX_LENGTH, VERSION_MAX
from apps.core.transitions import TransitionError, UnknownTransition, available_transitions


class TransitionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default=""
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text="The version you last read; 409 if it changed.",
    )
    comment_audience = serializers.ChoiceField(
        choices=[("internal", "Internal only"), ("customer", "Customer-visible")],
        required=False,
        help_text="Who reads a staff comment: internal (the default) or, on a step the "
        "customer sees, the customer too. A customer's own comments are always visible to it.",
    )


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)
    allowed_transitions = serializers.ListField(child=serializers.CharField())


def django_errors(exc: DjangoValidationError) -> dict:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        return detail
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def service_error_response(exc: Exception, *, obj=None, user=None) -> Response | None:
    """The API answer for a service exception, or None when it is not one of ours."""
    if isinstance(exc, UnknownTransition):
        return Response({"detail": exc.message}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, TransitionError):
        return Response(
            {"detail": exc.message, "allowed_transitions": exc.allowed}, status=exc.status
        )
    if isinstance(exc, StaleObjectError):
        current = exc.obj
        body = {
            "detail": str(exc),
            "version": getattr(current, "version", None),
            "allowed_transitions": available_transitions(current, user) if user else [],
        }
        if hasattr(current, "state"):
            body["state"] = current.state
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(django_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response(
            {"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN
        )
    return None


class ServiceErrorsMixin:
    """Map service exceptions raised anywhere in a view to their API answers."""

    def handle_exception(self, exc):
        response = service_error_response(exc, user=getattr(self.request, "user", None))
        if response is not None:
            return response
        return super().handle_exception(exc)


class TransitionViewSetMixin(ServiceErrorsMixin):
    """Subclasses set `transition_service(obj, name, actor, comment, expected_version)`,
    and `comment_audiences = True` when it also takes `comment_audience`."""

    transition_service: Callable
    comment_audiences = False

    @extend_schema(
        request=TransitionInputSerializer,
        parameters=[
            OpenApiParameter(
                "name",
                str,
                OpenApiParameter.PATH,
                description="Transition name, see available_transitions",
            )
        ],
        responses={
            200: None,
            400: OpenApiResponse(description="Bad input (field errors)"),
            403: OpenApiResponse(description="You may see this object but not do this"),
            404: OpenApiResponse(description="Not found, or not a transition of this object"),
            409: ConflictSerializer,
        },
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transitions(self, request, name: str, pk=None):
        obj = self.get_object()
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        extra = {}
        if self.comment_audiences:
            extra["comment_audience"] = data.validated_data.get("comment_audience")
        self.run_transition_service(
            obj=obj,
            name=name,
            actor=request.user,
            comment=data.validated_data["comment"],
            expected_version=data.validated_data.get("version"),
            **extra,
        )
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data)

    def run_transition_service(self, **kwargs):
        return type(self).transition_service(**kwargs)
