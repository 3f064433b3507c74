"""The comment thread on a detail page (staff and portal) and the file download.

A page includes the thread with `{% comment_thread obj %}`; the thread's own
URL (registered per model, see apps.core.comments) answers the partial on GET
(`?before=<id>` for older comments) and takes a new comment on POST, answering
the re-rendered thread to htmx (422 with the errors inline when refused).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.core import comments
from apps.core.limits import ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_COMMENT_MAX, COMMENT_MAX_LENGTH
from apps.core.models import Audience

THREAD_TEMPLATE = "core/partials/comments.html"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


AUDIENCE_CHOICES = [
    (Audience.INTERNAL, "Internal (Kestrel staff only)"),
    (Audience.CUSTOMER, "Visible to the customer"),
]


class CommentForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    audience = forms.ChoiceField(
        choices=AUDIENCE_CHOICES,
        initial=Audience.INTERNAL,
        required=False,
        widget=forms.RadioSelect,
    )
    files = MultipleFileField(required=False, label="Files")

    def __init__(self, *args, choose_audience: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.choose_audience = choose_audience
        if not choose_audience:
            del self.fields["audience"]

    def audience_value(self) -> str:
        if not self.choose_audience:
            return Audience.CUSTOMER
        return self.cleaned_data.get("audience") or Audience.INTERNAL


def _choose_audience(user) -> bool:
    # Staff choose; a customer contact's comments are always customer-visible.
    return bool(user.is_authenticated and not user.is_external)


def thread_context(
    request: HttpRequest,
    target: Model,
    *,
    form: CommentForm | None = None,
    result: comments.CommentResult | None = None,
    before: int | None = None,
) -> dict:
    user = request.user
    kind = comments.thread_kind(target)
    page = comments.comment_page(user=user, target=target, before=before)
    choose = _choose_audience(user)
    return {
        "target": target,
        "page": page,
        "thread_url": kind.thread_url(target, user),
        "form": form or CommentForm(choose_audience=choose),
        "choose_audience": choose,
        "show_audience": choose,
        "result": result,
        "accept": ",".join(f".{ext}" for ext in comments.ALLOWED_FILE_TYPES),
        "allowed_text": comments.ALLOWED_EXTENSIONS_TEXT,
        "max_size": ATTACHMENT_MAX_BYTES,
        "max_files": ATTACHMENTS_PER_COMMENT_MAX,
    }


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None


def thread_view(request: HttpRequest, target: Model) -> HttpResponse:
    """GET: the thread (or an older page of it); POST: a new comment. `target` is authorized."""
    if request.method == "GET":
        before = _before(request)
        partial = "older" if before is not None else "thread"
        context = thread_context(request, target, before=before)
        return render(request, f"{THREAD_TEMPLATE}#{partial}", context)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    user = request.user
    form = CommentForm(request.POST, request.FILES, choose_audience=_choose_audience(user))
    result = None
    if form.is_valid():
        try:
            result = comments.comment_post(
                target=target,
                actor=user,
                text=form.cleaned_data["text"],
                audience=form.audience_value(),
                files=form.cleaned_data["files"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        except PermissionDenied:
            raise Http404 from None
    page_url = comments.thread_kind(target).page_url(target, user)
    if not request.htmx:
        # A plain form post (no JavaScript): back to the page with the outcome.
        if result is None:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(request, _result_sentence(result))
        return redirect(page_url + "#comments")
    if result is not None:
        form = CommentForm(choose_audience=_choose_audience(user))
    context = thread_context(request, target, form=form, result=result)
    status = 200 if result is not None else 422
    return render(request, f"{THREAD_TEMPLATE}#thread", context, status=status)


def _result_sentence(result: comments.CommentResult) -> str:
    parts = ["Comment posted."]
    if result.notified:
        parts.append("Notified " + ", ".join(f"@{n}" for n in result.notified) + ".")
    for name, why in result.not_notified:
        parts.append(f"@{name} was not notified: {why}.")
    return " ".join(parts)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk) -> FileResponse:
    return attachment_response(comments.attachment_get_for_user(request.user, pk))


def attachment_response(attachment) -> FileResponse:
    """The file as a download that no browser renders or sniffs (pages and API alike)."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.mime_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened by mistake in the browser, the file runs no script and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
