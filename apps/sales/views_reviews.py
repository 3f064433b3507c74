"""The pricing review inbox (sales managers), composed from apps.orders.review_inbox."""

from __future__ import annotations

from apps.orders.models import Department
from apps.orders.review_inbox import ReviewInbox, inbox_views

REVIEW_INBOX = ReviewInbox(
    department=Department.PRICING,
    url_name="sales:review-inbox",
    decide_url_name="sales:review-decide",
    icon="percent",
)

review_inbox, review_decide = inbox_views(REVIEW_INBOX)
