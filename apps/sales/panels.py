"""The sales dashboard's inquiry panel: what waits in the qualification queue."""

from __future__ import annotations

from django.urls import reverse

from apps.core.dashboards import Panel, PanelRow
from apps.core.permissions import is_internal
from apps.core.roles import SALES_ROLES
from apps.sales.models import InquiryState
from apps.sales.selectors import open_inquiry_counts

QUEUE = (InquiryState.NEW, InquiryState.QUALIFYING, InquiryState.QUALIFIED)


def open_inquiries_panel(user) -> Panel | None:
    if not (is_internal(user) and user.has_role(*SALES_ROLES)):
        return None
    counts = open_inquiry_counts(user)  # one GROUP BY on the state index
    url = reverse("sales:inquiry-list")
    return Panel(
        key="inquiries",
        title="Inquiries to work on",
        icon="inbox",
        count=sum(counts.values()),
        rows=[
            PanelRow(
                label=InquiryState(state).label,
                value=str(counts.get(state, 0)),
                url=f"{url}?state={state}",
                state=str(state),
            )
            for state in QUEUE
        ],
        empty_text="No inquiries waiting.",
        more_url=url,
        order=20,
    )
