"""THE table of exact query counts: every list and detail route, per audience.

Each number is what one GET costs at a small and at a big size (a few rows and
more than a page of rows; a 2-line and a 200-line document): the same number, or
the page has an N+1 or aggregates over all rows. The tests that measure a row
read it with `queries(name, who)`; `tests/test_query_counts.py` measures the
routes no area test measures and proves that every GET route of the access
matrix (`tests/access_matrix/registry.py`) is either here or in
`NOT_LIST_OR_DETAIL` with its reason. A new list or detail page adds its row
here and a test that measures it; a change that moves a count changes it here.

`who` is the fixture of the user (`api:<fixture>`: a token call to the API;
`anon`: no login); text after " · " names a scenario of the same route.

Fixed costs: an HTML page loads the session (1), the user with its organization
(1), and its roles and permissions in one query (1); the navbar's unread badge is
cached. A token call loads token, user, organization, roles and permissions in one
query (1: apps.accounts.authentication.token_with_user). A list then adds count,
page ids and rows (3: apps.core.lists).
"""

from __future__ import annotations

import re

QUERIES: dict[str, dict[str, int]] = {
    # -- staff lists (tests/sales/test_views_list_queries.py, test_sales_list_queries.py)
    # filtered by customer: the chosen customer read once more, to check it is one;
    # its option in the filter is written from that row (apps.core.widgets.RemembersChosen)
    "sales:quote-list": {"sales_rep": 6, "sales_rep · ?customer=": 7},
    "sales:order-list": {"sales_rep": 6, "sales_rep · ?customer=&state=": 7},
    # the directory: contact and open-invitation counts come with the page's rows
    # (also tests/sales/test_views_customers.py)
    "sales:customer-list": {"sales_rep": 6},
    "sales:inquiry-list": {"sales_rep": 6},
    "sales:opportunity-list": {"sales_rep": 6},
    # totals per stage (1 GROUP BY) + one query per stage's cards with their quote facts (4)
    "sales:pipeline": {"sales_rep": 8},
    # currencies (2) and the two GROUP BY months
    "sales:forecast": {"sales_rep": 7},
    # a sales rep's panels: notifications (2), the customer directory's (3) and the
    # queues instead of recent activity: own drafts, sent quotes, pending orders
    # (counts + rows, 2 each), the lines at risk (counts + rows, 2) and the open
    # inquiries by state (one GROUP BY)
    "core:dashboard": {"sales_rep": 15},
    # session, user, roles, count, page
    "core:notification-list": {"sales_rep": 5},
    # count, ids, rows (order, customer and owner joined); the summary's stored
    # tally by rep and cause (apps.orders.risk); the rep filter's choices, read once
    # (they check the chosen rep too) (tests/sales/test_views_at_risk.py)
    # (a rep's own lines by default, from the owner's partial index)
    "sales:at-risk": {"planner": 8, "sales_rep": 8},
    # waiting/overdue (also the page count), page ids, the cards' columns (quote,
    # customer and owner joined), their first lines (tests/orders/test_review_inbox.py,
    # page and htmx partial alike)
    "engineering:review-inbox": {"engineer": 7},
    "manufacturing:review-inbox": {"planner": 7},
    "suppliers:review-inbox": {"buyer": 7},
    "sales:review-inbox": {"sales_manager": 7},
    # running run; recent runs; selected run's moves: count, ids, rows
    # (tests/manufacturing/test_views_replan.py)
    "manufacturing:replan": {"planner": 8},
    # count, page ids, rows; the page's booked hours and its closures (one GROUP BY each)
    # (tests/manufacturing/test_views_capacity.py)
    "manufacturing:work-center-list": {"planner": 8},
    # the work center; hours by day and the closures from Monday on (one UNION: the
    # chart, the hours held, the closed days ahead); holds: capped count, the page;
    # the holds' quote and order lines (one UNION)
    "manufacturing:work-center-detail": {"planner": 8},
    # the count of grouped rows, the page of grouped rows; the add form's supplier
    # choices (tests/suppliers/test_views_receipts.py)
    "suppliers:receipt-list": {"buyer": 6},
    # count, page ids, rows with their positions (one join), expected sums of the page
    "suppliers:part-list": {"planner": 7},
    # count, page ids, rows with contact and invitation counts
    # (tests/suppliers/test_views_suppliers.py)
    "suppliers:supplier-list": {"buyer": 6},
    # -- staff details (tests/sales/test_views_list_queries.py: 2 and 200 lines)
    # lines prefetched with reviews, BOM components and date changes; the count of the
    # comments (the thread itself is loaded when revealed: sales:quote-comments)
    # (the change requests only when the document has some: the page's row says so; the
    # history is read when revealed: `?section=history`, the quote's row and its timeline)
    "sales:quote-detail": {
        "sales_rep": 9,
        "sales_rep · htmx ?lines=all": 8,
        "sales_rep · ?section=history": 5,
    },
    # each line's details (components, date changes, what it holds in the stock and
    # capacity ledgers), the tracker links and the history are read when revealed
    # (tests/sales/test_detail_sections.py): the order's row, then the timeline; the
    # links; the line, its components, date changes, stock and capacity holds
    "sales:order-detail": {
        "sales_rep": 7,
        "sales_rep · htmx ?lines=all": 5,
        "sales_rep · ?section=history": 5,
        "sales_rep · ?section=trackers": 5,
        "sales_rep · ?section=line": 9,
    },
    # the quote; the comments with their authors; their files (tests/sales/test_views_comments.py)
    "sales:quote-comments": {"sales_rep": 6},
    # -- measured in tests/test_query_counts.py (small: +2 rows or 2 lines; big: +30 or 200)
    # (the fixed 3, then the object and what the page shows of it, each one query)
    "sales:customer-detail": {"sales_rep": 8},
    "sales:inquiry-detail": {"sales_rep": 8},
    "sales:opportunity-detail": {"sales_rep": 8},
    "sales:order-comments": {"sales_rep": 6},
    # the stored PDF of the sent revision (warm: rendered by the first GET)
    "sales:quote-pdf": {"sales_rep": 7},
    "suppliers:supplier-detail": {"buyer": 8},
    # the part with its position and the total its holds keep; holds: capped count, the
    # page, the page's quote and order lines (one UNION); the receipts
    # (tests/suppliers/test_views_receipts.py)
    "suppliers:part-detail": {"planner": 8, "buyer": 8},
    "accounts:account": {"sales_rep": 4},
    "sales:quote-builder": {"sales_rep": 9},
    "sales:customer-lookup": {"sales_rep": 4},
    # -- the customer portal (tests/sales/test_views_list_queries.py)
    "customers:quote-list": {"acme_contact": 6},
    "customers:order-list": {"acme_contact": 6},
    # action items, open orders, notifications, organization panels
    "customers:dashboard": {"acme_contact": 8},
    # + the revisions sent before (the history and its diff)
    # session, user, the quote (its line count, total and whether a revision was sent
    # before), the lines shown, roles, the comment count; revisions, change requests and
    # history are read when revealed (customers:quote-section)
    "customers:quote-detail": {"acme_contact": 6, "acme_contact · htmx ?lines=all": 4},
    # session, user, the quote, then: the requests and the lines' choices (2); the
    # revisions and the live lines they compare with (2); the timeline (1)
    # (tests/customers/test_portal_sections.py)
    "customers:quote-section": {
        "acme_contact · changes": 5,
        "acme_contact · revisions": 5,
        "acme_contact · history": 4,
    },
    # no BOM components: the portal never shows them; + the order's tracker links
    # session, user, the order (its quote, acceptance and line count), the lines shown,
    # their released date notes, roles, the comment count; change requests, share links
    # and history are read when revealed (customers:order-section)
    "customers:order-detail": {"acme_contact": 7, "acme_contact · htmx ?lines=all": 5},
    # session, user, the order, then: the requests and the lines' choices (2); the links
    # (1); the timeline (1) (tests/customers/test_portal_sections.py)
    "customers:order-section": {
        "acme_contact · changes": 5,
        "acme_contact · trackers": 4,
        "acme_contact · history": 4,
    },
    "customers:quote-comments": {"acme_contact": 5},
    "customers:order-comments": {"acme_contact": 5},
    "customers:organization": {"acme_contact": 5},
    "customers:quote-pdf": {"acme_contact": 6},
    # the link with its order (one join), the order's lines (tests/customers/test_trackers.py)
    "tracker:order": {"anon": 2},
    # -- the supplier portal
    "suppliers:portal-dashboard": {"delta_contact": 5},
    "suppliers:portal-organization": {"delta_contact": 5},
    # -- the API (tests/sales/test_views_list_queries.py unless said)
    "quote-list": {
        "api:sales_rep": 4,
        # token, count, ids, rows: the guardian grants are a subquery
        "api:acme_contact": 4,
        # + the page's sent revisions (tests/orders/test_api.py)
        "api:acme_contact · quotes being revised": 5,
    },
    "order-list": {"api:sales_rep": 4, "api:acme_contact": 4},
    "change-request-list": {
        # token, count, ids, rows
        "api:sales_rep": 4,
        # approved requests on an order in production: + their orders' lines (the
        # work-done check of `apply`; tests/orders/test_api.py)
        "api:sales_rep · approved requests": 5,
        # a contact sees only its own requests: no order lines needed
        "api:acme_contact": 3,
        # approved requests on an order in production: + their lines (tests/orders/test_api.py)
        "api:acme_contact · approved requests": 5,
    },
    # + the rows' addresses (also tests/accounts/test_api_organizations.py)
    "organization-list": {"api:sales_rep": 5, "api:acme_contact": 5, "api:finance": 5},
    # (tests/sales/test_sales_list_queries.py)
    "inquiry-list": {"api:sales_rep": 4},
    # + the page's quote links with their quotes
    "opportunity-list": {"api:sales_rep": 5},
    # token, organization, count, page, option groups, their options, rules, price
    # breaks (tests/catalog/test_api_products.py)
    "product-list": {"api:sales_rep": 8, "api:acme_contact": 8},
    # the order (not its lines); count, page ids, rows with their authors, their files
    # (tests/orders/test_api_comments.py)
    "order-comments": {"api:sales_rep": 8},
    "quote-detail": {"api:sales_rep": 4, "api:acme_contact": 3},
    "order-detail": {"api:sales_rep": 5, "api:acme_contact": 4},
    # -- API details measured in tests/test_query_counts.py
    "api-me": {"api:sales_rep": 1},
    "organization-detail": {"api:sales_rep": 3, "api:acme_contact": 3},
    "product-detail": {"api:sales_rep": 6},
    "inquiry-detail": {"api:sales_rep": 2},
    "opportunity-detail": {"api:sales_rep": 3},
    # token, the quote and its reviews (2; not its lines, which the revisions do not
    # show), the revisions with their authors
    "quote-revisions": {"api:sales_rep": 4},
    "quote-comments": {"api:sales_rep": 6},
    "change-request-detail": {"api:sales_rep": 3, "api:acme_contact": 3},
}

# A GET route that is not a list or detail page, and why. A route whose name ends in
# -list, -detail, -inbox, -comments, -revisions or is a dashboard can't be here.
NOT_LIST_OR_DETAIL: dict[str, str] = {
    # sign-in and account forms: no rows
    "accounts:login": "a form",
    "accounts:logout": "signs out (405 to GET)",
    "accounts:password-change": "a form",
    "accounts:password-change-done": "a static page",
    "accounts:password-reset": "a form",
    "accounts:password-reset-done": "a static page",
    "accounts:password-reset-confirm": "a form behind a token",
    "accounts:password-reset-complete": "a static page",
    "accounts:invitation-accept": "a form for one invitation",
    "accounts:token-create": "a POST action (405 to GET)",
    "inquiry:form": "the public inquiry form",
    "inquiry:thanks": "a static page",
    "sales:inquiry-create": "a form",
    "sales:quote-create": "a form",
    "core:healthz": "the health check",
    "favicon": "a static file",
    "api-root": "the API's index of links",
    "api-schema": "the OpenAPI schema, generated from code",
    "api-docs": "the API documentation page",
    "api-token": "a POST action",
    # the area homes redirect to a list that is counted
    "sales:home": "redirects to sales:customer-list",
    "engineering:home": "redirects to engineering:review-inbox",
    "manufacturing:home": "redirects to manufacturing:review-inbox",
    "suppliers:purchasing-home": "redirects to a purchasing list",
    # POST actions: a GET answers 405 (or 404 to contacts)
    "core:notification-mark-read": "a POST action",
    "sales:customer-invite": "a POST action",
    "sales:customer-address-receiving": "a POST action",
    "sales:customer-quote-holds": "a POST action",
    "sales:quote-transition": "a POST action",
    "sales:inquiry-update": "a POST action",
    "sales:opportunity-quote-create": "a POST action",
    "sales:quote-details-update": "a POST action",
    "sales:quote-line-preview": "a POST action",
    "sales:quote-line-delete": "a POST action",
    "sales:quote-change-request-create": "a POST action",
    "sales:change-request-transition": "a POST action",
    "sales:quote-copy": "a POST action",
    "sales:order-expedite": "a POST action",
    "sales:order-cancel": "a POST action",
    "customers:quote-transition": "a POST action",
    "customers:order-tracker-create": "a POST action",
    "customers:change-request-transition": "a POST action",
    "suppliers:receipt-add": "a POST action",
    "suppliers:receipt-move": "a POST action",
    "suppliers:receipt-cancel": "a POST action",
    "suppliers:receipt-receive": "a POST action",
    "manufacturing:work-center-capacity": "a POST action",
    "manufacturing:work-center-closure-add": "a POST action",
    "manufacturing:work-center-closure-remove": "a POST action",
    "manufacturing:replan-start": "a POST action",
    "engineering:review-decide": "a POST action",
    "manufacturing:review-decide": "a POST action",
    "suppliers:review-decide": "a POST action",
    "sales:review-decide": "a POST action",
    # one stored file, streamed
    "core:attachment-download": "one stored file",
    "quote-comment-file": "one stored file",
    "order-comment-file": "one stored file",
}

# Names that say "list or detail": never excused.
LIST_OR_DETAIL = re.compile(
    r"(-list|-detail|-inbox|-comments|-revisions|dashboard|-organization|organization)$"
)


def queries(name: str, who: str) -> int:
    """The exact number of queries of one GET of `name` by `who`."""
    return QUERIES[name][who]
