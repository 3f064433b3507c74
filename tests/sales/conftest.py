"""The orders fixtures (catalog, make_quote, sent_quote, accepted_quote, order, …).

pytest_plugins is only allowed in the root conftest, so they are re-exported
here; the role and organization fixtures they use come from tests/conftest.py.
"""

from tests.orders.conftest import *  # noqa: F403
