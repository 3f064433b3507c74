"""Comments and their files on any object with a timeline (quotes, orders).

A comment is a timeline entry (Activity of kind COMMENT), so one rule says who
reads it: `audience_visible` (staff read every audience, a customer contact
the customer-visible entries, a supplier contact the supplier-visible ones),
on an object the reader may open. The apps that own the objects register how
to find what a user may open and where the user reads it (`register_thread`),
since core cannot import them; the download view and the @mention check ask
the registry, so a file or a mention reaches exactly the people who could
read the comment on its page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Model, Prefetch, QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from apps.core.limits import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_PER_COMMENT_MAX,
    COMMENT_MAX_LENGTH,
    MENTIONS_PER_COMMENT_MAX,
)
from apps.core.models import Activity, ActivityKind, Attachment, Audience
from apps.core.prepared import prepared_values
from apps.core.selectors import activities_for, audience_visible, readable_audiences
from apps.core.services import activity_record, notify

if TYPE_CHECKING:
    from apps.core.types import UserLike as User

COMMENT_VERB = "commented"
# Comments shown at once; older ones come a page at a time ("Show older").
THREAD_PAGE_SIZE = 20


# --- the registry -------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadKind:
    visible: Callable[[User], QuerySet]  # the objects `user` may open, 404 otherwise
    page_url: Callable[[Model, User], str]  # where `user` reads the object
    thread_url: Callable[[Model, User], str]  # the thread partial, GET and POST
    audiences: tuple[str, ...] = (Audience.INTERNAL, Audience.CUSTOMER)


_THREADS: dict[type[Model], ThreadKind] = {}


def register_thread(model: type[Model], kind: ThreadKind) -> None:
    _THREADS[model] = kind


def thread_kind(target: Model) -> ThreadKind:
    try:
        return _THREADS[type(target)]
    except KeyError:
        raise LookupError(f"{type(target).__name__} has no comment thread.") from None


def has_thread(target: Model) -> bool:
    return type(target) in _THREADS


def can_open(user: User, target: Model) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return thread_kind(target).visible(user).filter(pk=target.pk).exists()


def can_read(user: User, target: Model, audience: str) -> bool:
    """The rule of the timeline: `user` opens `target` and reads entries of `audience`."""
    return audience_visible(user, audience) and can_open(user, target)


# --- files --------------------------------------------------------------------------


def _is_text(head: bytes) -> bool:
    return b"\x00" not in head


def _is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


# extension → (the type the download is served as, what its first bytes must look like)
ALLOWED_FILE_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", lambda h: h.startswith(b"%PDF-")),
    "png": ("image/png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff")),
    "step": ("application/step", _is_text),
    "stp": ("application/step", _is_text),
    "dxf": (
        "image/vnd.dxf",
        lambda h: h.startswith(b"AutoCAD Binary DXF\r\n\x1a\x00") or _is_text(h),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _is_zip),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _is_zip),
    "csv": ("text/csv", _is_text),
    "txt": ("text/plain", _is_text),
}
ALLOWED_EXTENSIONS_TEXT = ", ".join(sorted({e for e in ALLOWED_FILE_TYPES if e != "jpeg"}))
_SNIFF_BYTES = 2048
FILENAME_MAX = 150


def safe_filename(name: str) -> str:
    """The uploaded name reduced to a plain file name (no path, quotes or control characters)."""
    base = os.path.basename(str(name).replace("\\", "/")).strip()
    try:
        clean = get_valid_filename(base)
    except SuspiciousFileOperation:
        clean = ""
    stem, ext = os.path.splitext(clean)
    stem = stem[: FILENAME_MAX - len(ext)] or "file"
    return f"{stem}{ext.lower()}"


def attachment_check(upload) -> tuple[str, str]:
    """(safe name, served type) of an upload, or ValidationError saying what is wrong with it."""
    name = safe_filename(getattr(upload, "name", "") or "")
    ext = os.path.splitext(name)[1].lstrip(".").lower()
    allowed = ALLOWED_FILE_TYPES.get(ext)
    if allowed is None:
        raise ValidationError(
            f"{name}: files of this type cannot be attached (allowed: {ALLOWED_EXTENSIONS_TEXT})."
        )
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            f"{name} is {filesizeformat(upload.size)}; a file may be at most "
            f"{filesizeformat(ATTACHMENT_MAX_BYTES)}."
        )
    if upload.size == 0:
        raise ValidationError(f"{name} is empty.")
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    mime, looks_right = allowed
    if not looks_right(head):
        raise ValidationError(f"{name} does not contain what a .{ext} file contains.")
    return name, mime


# --- reading ------------------------------------------------------------------------


def comments_for(*, user: User, target: Model) -> QuerySet[Activity]:
    """The comments of `target` that `user` may read, newest first, with their files.

    Two queries whatever the number of comments and files: the entries with
    their authors, and the files of those entries.
    """
    return (
        activities_for(user=user, target=target)
        .filter(kind=ActivityKind.COMMENT)
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.only(
                    "id", "activity_id", "filename", "size", "mime_type", "created_at"
                ),
            )
        )
        .order_by("-id")
    )


def comment_count(*, user: User, target: Model) -> int:
    """How many of `target`'s comments `user` may read (`comments_for(...).count()`),
    its SQL compiled once per process, kind of target and audience (a page's comment
    card shows the count on every request)."""
    ctype = ContentType.objects.get_for_model(target).pk
    rows = prepared_values(
        _comment_count_query, (ctype, readable_audiences(user)), [str(target.pk)]
    )
    return rows[0]["n"] if rows else 0


def _comment_count_query(ctype: int, audiences: tuple[str, ...] | None, slots) -> QuerySet:
    qs = Activity.objects.filter(
        content_type_id=ctype, object_id=slots[0], kind=ActivityKind.COMMENT
    )
    if audiences is not None:
        qs = qs.filter(audience__in=audiences) if audiences else qs.none()
    return qs.order_by().values("object_id").annotate(n=Count("pk")).values("n")


@dataclass
class ThreadPage:
    entries: list[Activity]  # oldest first, as a thread reads
    older_than: int | None  # the id to ask `before=` for the next older page, if any


def comment_page(
    *, user: User, target: Model, before: int | None = None, size: int = THREAD_PAGE_SIZE
) -> ThreadPage:
    qs = comments_for(user=user, target=target)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return ThreadPage(entries=rows[::-1], older_than=rows[-1].id if more else None)


def attachment_get_for_user(user: User, pk) -> Attachment:
    """The file if `user` may read the comment it belongs to, else 404."""
    try:
        attachment = (
            Attachment.objects.select_related("activity", "activity__content_type")
            .filter(pk=pk)
            .first()
        )
    except (ValueError, ValidationError):
        raise Http404 from None  # not even an id
    if attachment is None or not (user.is_authenticated and user.is_active):
        raise Http404
    activity = attachment.activity
    model = activity.content_type.model_class()
    if model is None or model not in _THREADS or activity.kind != ActivityKind.COMMENT:
        raise Http404
    if not audience_visible(user, activity.audience):
        raise Http404
    try:
        visible = _THREADS[model].visible(user).filter(pk=activity.object_id).exists()
    except (ValueError, ValidationError):
        visible = False
    if not visible:
        raise Http404
    return attachment


# --- writing ------------------------------------------------------------------------

# "@sam.sales" at a word start; a trailing full stop ends the sentence, not the name.
_MENTION = re.compile(r"(?<![\w@.])@([\w.+-]+)")


def mentioned_usernames(text: str) -> list[str]:
    names: list[str] = []
    for match in _MENTION.finditer(text or ""):
        name = match.group(1).rstrip(".-+")
        if name and name not in names:
            names.append(name)
    return names


@dataclass
class CommentResult:
    comment: Activity
    notified: list[str] = field(default_factory=list)  # usernames
    not_notified: list[tuple[str, str]] = field(default_factory=list)  # (username, why)


NOT_NOTIFIED_CANNOT_SEE = "they cannot see this thread"
NOT_NOTIFIED_INTERNAL = "this comment is internal and they are not staff"
NOT_NOTIFIED_NOT_HERE = "you can mention your colleagues and the Kestrel staff on this thread"
NOT_NOTIFIED_TOO_MANY = f"at most {MENTIONS_PER_COMMENT_MAX} people are notified per comment"


def _staff_in_thread(target: Model) -> set:
    """The staff a customer can name: the owner and the authors of entries the customer reads."""
    ids = set(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(target),
            object_id=str(target.pk),
            audience=Audience.CUSTOMER,
            actor__isnull=False,
        ).values_list("actor_id", flat=True)
    )
    owner_id = getattr(target, "owner_id", None)
    if owner_id:
        ids.add(owner_id)
    return ids


def _mention_targets(
    *, target: Model, actor: User, audience: str, names: Sequence[str]
) -> tuple[list, list[tuple[str, str]]]:
    """Who of the named people this comment notifies, and why the others are not."""
    refused: list[tuple[str, str]] = []
    if len(names) > MENTIONS_PER_COMMENT_MAX:
        refused += [(n, NOT_NOTIFIED_TOO_MANY) for n in names[MENTIONS_PER_COMMENT_MAX:]]
        names = names[:MENTIONS_PER_COMMENT_MAX]
    users = {
        u.username: u
        for u in get_user_model()
        .objects.filter(username__in=names, is_active=True)
        # The organization comes with the user (as TandemBackend loads it): the
        # checks below ask for it once per person.
        .select_related("membership__organization")
    }
    staff_here = _staff_in_thread(target) if actor.is_external else set()
    actor_org = actor.organization
    chosen = []
    for name in names:
        user = users.get(name)
        if user is not None and user.pk == actor.pk:
            continue  # naming yourself notifies nobody, and needs no excuse
        if actor.is_external:
            # One sentence whatever the reason (no such user, another company, staff
            # not on this thread), so a mention never tells a customer who exists.
            named_ok = user is not None and (
                (actor_org is not None and user.organization == actor_org)
                or (not user.is_external and user.pk in staff_here)
            )
            if not (named_ok and can_read(user, target, audience)):
                refused.append((name, NOT_NOTIFIED_NOT_HERE))
            else:
                chosen.append(user)
        # Staff are told why; "no such user" and "cannot see it" read alike all the same.
        elif user is None or not can_open(user, target):
            refused.append((name, NOT_NOTIFIED_CANNOT_SEE))
        elif not audience_visible(user, audience):
            refused.append((name, NOT_NOTIFIED_INTERNAL))
        else:
            chosen.append(user)
    return chosen, refused


def _display_name(user: User) -> str:
    return user.get_full_name() or user.username


def comment_post(
    *,
    target: Model,
    actor: User,
    text: str,
    audience: str = Audience.INTERNAL,
    files: Iterable = (),
) -> CommentResult:
    """Add a comment (and its files) to `target`'s thread and notify the people it names.

    Staff choose the audience (internal unless they say otherwise); a customer's
    comment is customer-visible, since the customer could not read it otherwise.
    """
    kind = thread_kind(target)
    text = (text or "").strip()
    files = list(files)
    if not can_open(actor, target):
        raise PermissionDenied("You may not comment here.")
    if audience not in kind.audiences:
        raise ValidationError({"audience": "Choose who may read this comment."})
    if not audience_visible(actor, audience):
        raise ValidationError(
            {"audience": "Your comments are visible to Kestrel and your organization."}
        )
    errors: dict[str, list[str]] = {}
    if not text and not files:
        errors["text"] = ["Write a comment or attach a file."]
    elif len(text) > COMMENT_MAX_LENGTH:
        errors["text"] = [f"A comment may be at most {COMMENT_MAX_LENGTH} characters."]
    if len(files) > ATTACHMENTS_PER_COMMENT_MAX:
        errors["files"] = [f"Attach at most {ATTACHMENTS_PER_COMMENT_MAX} files to one comment."]
    checked = []
    for upload in files if "files" not in errors else ():
        try:
            checked.append((upload, *attachment_check(upload)))
        except ValidationError as exc:
            errors.setdefault("files", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        comment = activity_record(
            target=target,
            actor=actor,
            verb=COMMENT_VERB,
            kind=ActivityKind.COMMENT,
            text=text,
            audience=audience,
        )
        for upload, name, mime in checked:
            Attachment.objects.create(
                activity=comment,
                file=File(upload, name=name),
                filename=name,
                mime_type=mime,
                size=upload.size,
                uploaded_by=actor,
            )
        recipients, refused = _mention_targets(
            target=target, actor=actor, audience=audience, names=mentioned_usernames(text)
        )
        title = f"{_display_name(actor)} mentioned you on {target}"
        body = text if len(text) <= 300 else text[:299] + "…"
        by_url: dict[str, list] = {}
        for user in recipients:
            by_url.setdefault(kind.page_url(target, user) + "#comments", []).append(user)
        for url, users in by_url.items():
            notify(recipients=users, title=title, body=body, url=url, activity=comment)
        owner = getattr(target, "owner", None)
        if actor.is_external and owner is not None and owner not in recipients:
            # A customer's question reaches the person who answers for the document.
            notify(
                recipients=[owner],
                title=f"{_display_name(actor)} commented on {target}",
                body=body,
                url=kind.page_url(target, owner) + "#comments",
                activity=comment,
            )
    return CommentResult(
        comment=comment, notified=[u.username for u in recipients], not_notified=refused
    )
