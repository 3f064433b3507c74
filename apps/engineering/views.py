"""Engineering's pages: the review inbox, composed from apps.orders.review_inbox."""

from __future__ import annotations

from apps.orders.models import Department
from apps.orders.review_inbox import ReviewInbox, inbox_views

INBOX = ReviewInbox(
    department=Department.ENGINEERING,
    url_name="engineering:review-inbox",
    decide_url_name="engineering:review-decide",
    icon="rulers",
)

review_inbox, review_decide = inbox_views(INBOX)
