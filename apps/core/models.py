from __future__ import annotations

import os
import uuid

import django_fsm
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone


class ConcurrentTransitionMixin(django_fsm.ConcurrentTransitionMixin):
    """django-fsm's check that a transition saves over the state it read, with the
    model's state fields found once per class: the library filters every field of the
    model on every instance it loads (a list page of 25 quotes: 700 calls)."""

    @property
    def state_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_fsm_state_fields")
        if fields is None:
            fields = cls._fsm_state_fields = tuple(super().state_fields)
        return fields


class UUIDModel(models.Model):
    """Base for domain objects: UUIDs in URLs and APIs, people see human numbers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Audience(models.TextChoices):
    """Who besides internal staff may read an activity entry."""

    INTERNAL = "internal", "Internal only"
    CUSTOMER = "customer", "Customer-visible"
    SUPPLIER = "supplier", "Supplier-visible"


class ActivityKind(models.TextChoices):
    TRANSITION = "transition", "State change"
    COMMENT = "comment", "Comment"
    FILE = "file", "File"
    EMAIL = "email", "E-mail sent"
    EVENT = "event", "Event"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Activity entries are immutable.")

    def delete(self):
        raise TypeError("Activity entries are immutable.")


class Activity(models.Model):
    """One thing that happened to an object: the timeline shared by every department."""

    id = models.BigAutoField(primary_key=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    # Char so one table serves UUID and integer primary keys alike.
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    verb = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    text = models.TextField(blank=True)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.INTERNAL)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"]),
            # The dashboard's recent-activity panel: the newest entries of all.
            models.Index(fields=["-created_at", "-id"], name="activity_recent_idx"),
        ]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.verb} on {self.content_type.model} {self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Activity entries are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Activity entries are immutable.")


class Notification(models.Model):
    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class PrivateFileStorage(FileSystemStorage):
    """Files only a permission-checked view serves: under MEDIA_ROOT/private, with no URL.

    The location is read from the settings on every use (tests point MEDIA_ROOT
    elsewhere); `url()` refuses, so no template can link around the check.
    """

    @property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "private")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; link to their download view.")


private_storage = PrivateFileStorage()


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name on disk: a random name with the checked extension.
    ext = os.path.splitext(filename)[1].lower()
    return timezone.now().strftime(f"comments/%Y/%m/{uuid.uuid4().hex}{ext}")


class Attachment(models.Model):
    """A file on a comment (an Activity of kind COMMENT): readable by whoever reads the comment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=_attachment_path, max_length=200)
    filename = models.CharField(max_length=150)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class NumberSequence(models.Model):
    """Gap-tolerant counters for human numbers (Q-000123, SO-000045, PO-000210)."""

    name = models.CharField(max_length=20, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


def next_number(name: str, prefix: str, width: int = 6) -> str:
    """Next number of a sequence; locks the counter row until the caller's transaction ends."""
    from django.db import transaction

    with transaction.atomic():
        seq, _ = NumberSequence.objects.select_for_update().get_or_create(name=name)
        seq.last_value += 1
        seq.save(update_fields=["last_value"])
    return f"{prefix}-{seq.last_value:0{width}d}"


class VersionedModel(models.Model):
    """Optimistic locking for ordinary edits.

    Every write bumps `version`; a writer that read an older version loses with
    a conflict instead of silently overwriting (see apps.core.concurrency).
    """

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True
