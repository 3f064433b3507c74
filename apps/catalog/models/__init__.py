from apps.catalog.models.ledgers import (
    CapacityReservation,
    StockEntry,
    StockEntryKind,
    StockPosition,
)
from apps.catalog.models.parts import (
    BOMLine,
    Part,
    PartKind,
    RoutingOperation,
    SupplierClosure,
    SupplierPart,
    SupplierPriceBreak,
    WorkCenter,
    WorkCenterClosure,
)
from apps.catalog.models.products import (
    ConfigurationRule,
    FulfillmentMode,
    Option,
    OptionGroup,
    Product,
    ProductPriceBreak,
    RuleKind,
)

__all__ = [
    "BOMLine",
    "CapacityReservation",
    "ConfigurationRule",
    "FulfillmentMode",
    "Option",
    "OptionGroup",
    "Part",
    "PartKind",
    "Product",
    "ProductPriceBreak",
    "RoutingOperation",
    "RuleKind",
    "StockEntry",
    "StockEntryKind",
    "StockPosition",
    "SupplierClosure",
    "SupplierPart",
    "SupplierPriceBreak",
    "WorkCenter",
    "WorkCenterClosure",
]
