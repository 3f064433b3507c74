"""Manufacturing's pages: the review inbox, composed from apps.orders.review_inbox."""

from __future__ import annotations

from apps.orders.models import Department
from apps.orders.review_inbox import ReviewInbox, inbox_views

INBOX = ReviewInbox(
    department=Department.MANUFACTURING,
    url_name="manufacturing:review-inbox",
    decide_url_name="manufacturing:review-decide",
    icon="tools",
)

review_inbox, review_decide = inbox_views(INBOX)
