"""The orders fixtures (catalog, make_quote, sent_quote, accepted_quote, order, …).

pytest_plugins is only allowed in the root conftest, so they are re-exported
here; the role and organization fixtures they use come from tests/conftest.py.
"""

from decimal import Decimal

import pytest

from apps.catalog.models import RuleKind
from apps.catalog.selectors import product_with_options
from tests.catalog.factories import ConfigurationRuleFactory, OptionFactory, OptionGroupFactory
from tests.orders.conftest import *  # noqa: F403


@pytest.fixture
def cabinet_rules(catalog):
    """The cabinet with rules of each kind: the basic PLC excludes the 12" panel,
    the stainless extra requires the heater and is sold up to 10 units."""
    cabinet = catalog["cabinet"]
    plc = OptionGroupFactory(product=cabinet, code="plc", name="PLC", position=1)
    basic = OptionFactory(group=plc, code="basic", name="Basic I/O", is_default=True)
    OptionFactory(group=plc, code="advanced", name="Advanced PLC", price_delta=Decimal("1900"))
    hmi = OptionGroupFactory(product=cabinet, code="hmi", name="HMI", is_required=False)
    hmi12 = OptionFactory(group=hmi, code="12in", name='12" panel', price_delta=Decimal("1600"))
    extras = OptionGroupFactory(
        product=cabinet, code="extras", name="Extras", is_required=False, allow_multiple=True
    )
    heater = OptionFactory(group=extras, code="heater", name="Heater")
    stainless = OptionFactory(group=extras, code="stainless", name="Stainless")
    OptionFactory(group=extras, code="old", name="Retired", is_active=False)
    ConfigurationRuleFactory(
        product=cabinet,
        kind=RuleKind.EXCLUDES,
        option=basic,
        other=hmi12,
        message='The 12" HMI needs the advanced PLC.',
    )
    ConfigurationRuleFactory(
        product=cabinet, kind=RuleKind.REQUIRES, option=stainless, other=heater
    )
    ConfigurationRuleFactory(
        product=cabinet, kind=RuleKind.QUANTITY, option=stainless, max_quantity=10
    )
    return product_with_options(type(cabinet).objects.filter(pk=cabinet.pk)).get()
