"""`GET/POST /api/v1/<collection>/<id>/comments/` for any viewset whose objects have a thread.

The same selector and service as the pages (apps.core.comments): the list holds
the comments the caller may read, newest first, paginated; a post takes `text`,
`audience` (staff: internal unless said otherwise; contacts: customer-visible
only) and `files` (multipart), and answers the comment with who was notified.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core import comments
from apps.core.api import Pagination
from apps.core.limits import ATTACHMENTS_PER_COMMENT_MAX, COMMENT_MAX_LENGTH
from apps.core.models import Activity, Attachment, Audience
from apps.core.views_comments import attachment_response


class CommentFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download for a signed-in browser.")
    api_url = serializers.SerializerMethodField(help_text="Download with an API token.")

    class Meta:
        model = Attachment
        fields = ["id", "filename", "size", "mime_type", "url", "api_url"]

    def get_url(self, obj: Attachment) -> str:
        return reverse("core:attachment-download", kwargs={"pk": obj.pk})

    def get_api_url(self, obj: Attachment) -> str:
        basename, target_pk = self.context.get("basename"), self.context.get("target_pk")
        if not (basename and target_pk):
            return ""
        return reverse(f"{basename}-comment-file", kwargs={"pk": target_pk, "file_id": obj.pk})


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    files = CommentFileSerializer(source="attachments", many=True, read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "author", "audience", "text", "created_at", "files"]
        read_only_fields = (
            fields  # what is read; comments are posted through CommentInputSerializer
        )

    def get_author(self, obj: Activity) -> str | None:
        return obj.actor.username if obj.actor else None


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default=""
    )
    audience = serializers.ChoiceField(
        choices=[Audience.INTERNAL, Audience.CUSTOMER],
        required=False,
        help_text="Staff: internal unless given. Customer contacts: customer only.",
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=ATTACHMENTS_PER_COMMENT_MAX,
        help_text="multipart/form-data only.",
    )


class NotNotifiedSerializer(serializers.Serializer):
    username = serializers.CharField()
    reason = serializers.CharField()


class CommentCreatedSerializer(serializers.Serializer):
    comment = CommentSerializer()
    notified = serializers.ListField(child=serializers.CharField())
    not_notified = NotNotifiedSerializer(many=True)


# The viewset actions of a thread: they need the object, not its lines.
COMMENT_ACTIONS = frozenset({"comments", "comment_file"})


class CommentsViewSetMixin:
    """Adds the `comments` action; the object comes from the viewset's own get_object()."""

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": CommentInputSerializer,
            "application/json": CommentInputSerializer,
        },
        responses={
            201: CommentCreatedSerializer,
            400: OpenApiResponse(description="Empty comment, bad file or audience"),
            404: OpenApiResponse(description="Not found"),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="comments")
    def comments(self, request, pk=None):
        target = self.get_object()
        user = request.user
        if request.method == "GET":
            # The plain list pager: the viewset's own paginate_queryset dresses quotes.
            paginator = Pagination()
            page = paginator.paginate_queryset(
                comments.comments_for(user=user, target=target), request, view=self
            )
            data = CommentSerializer(page, many=True, context=self._comment_context(target)).data
            return paginator.get_paginated_response(data)
        data = CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        default = Audience.CUSTOMER if user.is_external else Audience.INTERNAL
        result = comments.comment_post(
            target=target,
            actor=user,
            text=v["text"],
            audience=v.get("audience") or default,
            files=v["files"],
        )
        body = {
            "comment": CommentSerializer(
                result.comment, context=self._comment_context(target)
            ).data,
            "notified": result.notified,
            "not_notified": [{"username": n, "reason": why} for n, why in result.not_notified],
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def _comment_context(self, target) -> dict:
        return {"basename": self.basename, "target_pk": target.pk}

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not found"),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"comments/files/(?P<file_id>[0-9a-f-]{36})",
        url_name="comment-file",
    )
    def comment_file(self, request, pk=None, file_id=None):
        """A file of a comment the caller may read, as a download."""
        target = self.get_object()
        attachment = comments.attachment_get_for_user(request.user, file_id)
        if attachment.activity.object_id != str(target.pk):
            raise Http404
        return attachment_response(attachment)
