"""What the catalog's ledgers announce when supply or capacity changes.

Purchasing (receipts) and manufacturing (work-center capacity and closures)
change the ledgers through `apps.catalog` services, which send these after the
transaction commits. `orders` listens and re-plans the open lines affected, so
the catalog never imports the apps above it.
"""

from __future__ import annotations

from django.dispatch import Signal

# sender=None; part_ids: set of Part ids whose supply moved; cause: a
# apps.orders.models.SlipCause value ("receipt_moved", "receipt_cancelled");
# text: what changed, in internal words ("PO-000210: Fulcrum PCB 40 → Jan 12").
supply_changed = Signal()

# sender=None; work_center_ids: set of WorkCenter ids; cause: "capacity" or
# "closure"; text: what changed; from_date: the first day affected.
capacity_changed = Signal()
