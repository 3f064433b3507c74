"""Bounds on what people type, shared by forms, serializers and services.

Each number keeps an input inside what its column can hold (or what a person
can sensibly mean), so an out-of-range value is a field error, never a
database overflow (a 500).
"""

from __future__ import annotations

from decimal import Decimal

# Units on one quote or order line. Far above any real order, far below the
# PositiveIntegerField column (2^31 - 1) and the totals it multiplies into.
QUANTITY_MAX = 1_000_000

# `version` fields (PositiveIntegerField) sent back for the optimistic lock.
VERSION_MAX = 2_147_483_647

# Money columns are DecimalField(max_digits=14, decimal_places=2).
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
MONEY_LIMIT = Decimal("1000000000000")  # 10^12: the first amount a money column cannot hold
# A margin column is DecimalField(max_digits=7, decimal_places=2).
MARGIN_LIMIT = Decimal("100000")

# Free text. The forms and the API share these, so neither accepts what the
# other refuses.
TITLE_MAX_LENGTH = 200
COMMENT_MAX_LENGTH = 4_000
DESCRIPTION_MAX_LENGTH = 5_000
ADDRESS_MAX_LENGTH = 1_000
NOTES_MAX_LENGTH = 10_000

# Change-request proposals: a handful of line edits, not a bulk import.
PROPOSED_CHANGES_MAX = 50

# Files attached to comments: what one upload and one comment may carry.
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENTS_PER_COMMENT_MAX = 5
# @mentions looked up per comment: each costs a visibility check.
MENTIONS_PER_COMMENT_MAX = 10
