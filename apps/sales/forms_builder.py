"""Forms of the quote builder: a new quote's header, and one line's configurator.

The configurator's option fields are drawn from the chosen product's option
groups (one `opt-<group code>` field each). Which options may be chosen together
is not decided here: the page shows apps.catalog.configuration.option_choices and
the services validate with configuration_validate, so a broken rule reads the same
on the page, in the API and in the preview.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.accounts.models import Organization, OrganizationKind
from apps.accounts.selectors import organizations_visible_to
from apps.catalog.models import Product
from apps.catalog.selectors import product_with_options, products_visible_to
from apps.core.errors import FieldErrors
from apps.core.limits import NOTES_MAX_LENGTH, QUANTITY_MAX, TITLE_MAX_LENGTH, VERSION_MAX
from apps.core.widgets import LookupSelect
from apps.orders.models import QuoteLine
from apps.orders.pricing import price_list_currencies

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OPTION_PREFIX = "opt-"


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.HiddenInput)):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", f"{css} {css}-sm")


def _error_items(exc: ValidationError):
    if isinstance(exc, FieldErrors):
        return exc.detail.items()  # keeps the configuration's group → messages nesting
    if hasattr(exc, "error_dict"):
        return exc.message_dict.items()
    return [(None, exc.messages)]


def apply_service_errors(form: forms.Form, exc: ValidationError, *, fields: dict) -> None:
    """Put a service's field errors on the form fields they concern.

    `fields` maps a service key to a form field name; the configuration's nested
    errors (group code → messages) go next to that group's option field. What
    names no field of the form is shown above it.
    """
    for key, messages in _error_items(exc):
        if isinstance(messages, dict):
            pairs = [(f"{OPTION_PREFIX}{group}", m) for group, ms in messages.items() for m in ms]
        else:
            pairs = [(fields.get(key), m) for m in messages]
        for name, message in pairs:
            form.add_error(name if name in form.fields else None, str(message))


# -- a new quote ---------------------------------------------------------------


class RequiredCustomerSelect(LookupSelect):
    """The customer lookup for a choice that must be made: its search results start
    with "Choose a customer", not the filters' "Any customer"."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] += "?required=1"
        return context


class QuoteCreateForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        empty_label="Choose a customer",
        widget=RequiredCustomerSelect("sales:customer-lookup", placeholder="Find a customer"),
        error_messages={"invalid_choice": "Choose a customer from the search results."},
    )
    title = forms.CharField(required=False, max_length=TITLE_MAX_LENGTH)
    currency = forms.ChoiceField(required=False)
    requested_date = forms.DateField(required=False, widget=DATE, label="Requested delivery")
    valid_until = forms.DateField(
        required=False, widget=DATE, help_text="Empty: the standard validity period."
    )
    customer_reference = forms.CharField(required=False, max_length=60)

    SERVICE_FIELDS = {
        "customer": "customer",
        "currency": "currency",
        "valid_until": "valid_until",
        "requested_date": "requested_date",
        "title": "title",
        "customer_reference": "customer_reference",
    }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = organizations_visible_to(user).filter(
            kind=OrganizationKind.CUSTOMER
        )
        self.fields["currency"].choices = [("", "The customer's currency")] + [
            (code, code) for code in price_list_currencies()
        ]
        _styled(self)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"customer": data["customer"], "valid_until": data["valid_until"]}
        for key in ("title", "currency", "requested_date", "customer_reference"):
            if data[key] not in ("", None):
                fields[key] = data[key]
        return fields


class QuoteDetailsForm(forms.Form):
    """The draft's own fields the builder edits (prefix "quote": the configurator's
    fields travel in the same post, so its entries survive the answer)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=VERSION_MAX)
    title = forms.CharField(required=False, max_length=TITLE_MAX_LENGTH)
    requested_date = forms.DateField(required=False, widget=DATE, label="Requested delivery")
    valid_until = forms.DateField(widget=DATE)
    customer_reference = forms.CharField(required=False, max_length=60)
    hold_promise = forms.BooleanField(
        required=False,
        label="Hold the promise once sent",
        help_text="Book the stock and capacity the promise uses from sending until the "
        "validity date (otherwise only an accepted quote holds them).",
    )

    SERVICE_FIELDS = {
        "title": "title",
        "requested_date": "requested_date",
        "valid_until": "valid_until",
        "customer_reference": "customer_reference",
        "hold_promise": "hold_promise",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="quote", **kwargs)
        _styled(self)

    @classmethod
    def for_quote(cls, quote) -> QuoteDetailsForm:
        return cls(
            initial={"version": quote.version} | {k: getattr(quote, k) for k in cls.SERVICE_FIELDS}
        )

    def changes(self, quote) -> dict:
        return {
            key: self.cleaned_data[key]
            for key in self.SERVICE_FIELDS
            if self.cleaned_data[key] != getattr(quote, key)
        }


def customer_prefill(user, raw: str | None) -> Organization | None:
    """The customer named by ?customer=<uuid> when the user may see it (else none)."""
    try:
        pk = uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None
    return organizations_visible_to(user).filter(kind=OrganizationKind.CUSTOMER, pk=pk).first()


# -- one line ------------------------------------------------------------------


def builder_products(user) -> QuerySet[Product]:
    return products_visible_to(user).filter(is_active=True).order_by("name")


class LineForm(forms.Form):
    """A new line (product chosen here) or an existing line (its product is fixed).

    `configured_product` names the product the option fields were drawn for: when
    the product changes, the options start again from the new product's defaults.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=VERSION_MAX)
    configured_product = forms.CharField(required=False, widget=forms.HiddenInput)
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        empty_label="Choose a product",
        error_messages={
            "required": "Choose a product.",
            "invalid_choice": "Choose a product from the list.",
        },
    )
    quantity = forms.IntegerField(min_value=1, max_value=QUANTITY_MAX, initial=1)
    discount_percent = forms.DecimalField(
        label="Discount %",
        min_value=Decimal("0"),
        max_value=Decimal("99.99"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("0"),
    )
    requested_date = forms.DateField(
        required=False, widget=DATE, label="Requested delivery", help_text="Empty: the quote's."
    )
    scope_statement = forms.CharField(
        required=False,
        max_length=NOTES_MAX_LENGTH,
        label="Scope statement (customer-visible)",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What is and is not included, acceptance criteria, services.",
    )
    custom_spec = forms.CharField(
        required=False,
        max_length=NOTES_MAX_LENGTH,
        label="Custom specification (internal)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything here asks engineering to review the quote.",
    )

    SERVICE_FIELDS = {
        "product": "product",
        "quantity": "quantity",
        "discount_percent": "discount_percent",
        "requested_date": "requested_date",
        "scope_statement": "scope_statement",
        "custom_spec": "custom_spec",
    }

    def __init__(self, data=None, *, user, line: QuoteLine | None = None, initial=None):
        self.line = line
        self.products = builder_products(user)
        product = self._product(user, data, initial)
        if data is not None and product is not None:
            data = self._fresh_options(data, product)
        super().__init__(data, initial=initial)
        self.product_obj = product
        field = self.fields["product"]
        if line is not None:
            # An existing line keeps its product (even one no longer sold).
            field.queryset = Product.objects.filter(pk=line.product_id)
            field.disabled = True
            field.initial = line.product_id
        else:
            field.queryset = self.products
        self.fields["configured_product"].initial = str(product.pk) if product else ""
        self.groups = list(product.option_groups.all()) if product else []
        for group in self.groups:
            self.fields[f"{OPTION_PREFIX}{group.code}"] = self._option_field(group)
        _styled(self)

    def _product(self, user, data, initial) -> Product | None:
        """The product with its options and rules prefetched (one fixed set of queries)."""
        if self.line is not None:
            pk = self.line.product_id
            qs = products_visible_to(user)
        else:
            pk = (data or {}).get("product") or (initial or {}).get("product")
            qs = self.products
        try:
            pk = uuid.UUID(str(pk))
        except (TypeError, ValueError):
            return None
        return product_with_options(qs.filter(pk=pk)).first()

    def _fresh_options(self, data, product: Product):
        """Posted options drawn for another product are dropped: start from the defaults."""
        if data.get("configured_product") == str(product.pk):
            return data
        data = data.copy()
        for group in product.option_groups.all():
            name = f"{OPTION_PREFIX}{group.code}"
            defaults = [o.code for o in group.options.all() if o.is_default]
            data.setlist(name, defaults if group.allow_multiple else defaults[:1])
        data["configured_product"] = str(product.pk)
        # A product just chosen had no quantity or discount fields on the page yet.
        for name in ("quantity", "discount_percent"):
            if not data.get(name):
                data[name] = str(self.base_fields[name].initial)
        return data

    @staticmethod
    def _option_field(group) -> forms.Field:
        # Every active option is a valid value here, offered or not: a combination
        # the rules refuse is explained by configuration_validate, next to the group.
        choices = [(o.code, o.name) for o in group.options.all()]
        defaults = [o.code for o in group.options.all() if o.is_default]
        # In configuration_validate's words, so a made-up code reads the same everywhere.
        errors = {"invalid_choice": f"“%(value)s” is not an available {group.name.lower()}."}
        if group.allow_multiple:
            return forms.MultipleChoiceField(
                label=group.name,
                choices=choices,
                required=False,
                initial=defaults,
                widget=forms.CheckboxSelectMultiple,
                error_messages=errors,
            )
        if not group.is_required:
            choices = [("", "None"), *choices]
        return forms.ChoiceField(
            label=group.name,
            choices=choices,
            required=False,
            initial=defaults[0] if defaults else "",
            widget=forms.RadioSelect,
            error_messages=errors,
        )

    def product_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, selected) for the product <select>, read in one query."""
        chosen = str(self.product_obj.pk) if self.product_obj else ""
        options = [("", self.fields["product"].empty_label, not chosen)]
        return options + [(str(p.pk), str(p), str(p.pk) == chosen) for p in self.products]

    def selections(self) -> dict:
        """group code → chosen code(s), from what was posted (valid or not) or the initial."""
        out: dict = {}
        for group in self.groups:
            name = f"{OPTION_PREFIX}{group.code}"
            if self.is_bound:
                value = (
                    self.data.getlist(name)
                    if group.allow_multiple and hasattr(self.data, "getlist")
                    else self.data.get(name)
                )
            else:
                value = self[name].value()
            if value:
                out[group.code] = value
        return out

    def quantity_value(self) -> int | None:
        try:
            return int(self["quantity"].value())
        except (TypeError, ValueError):
            return None

    def line_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "quantity": data["quantity"],
            "configuration": self.selections(),
            "discount_percent": data["discount_percent"],
            "requested_date": data["requested_date"],
            "scope_statement": data["scope_statement"].strip(),
            "custom_spec": data["custom_spec"].strip(),
        }


def line_initial(line: QuoteLine, version: int) -> dict:
    initial = {
        "version": version,
        "product": line.product_id,
        "configured_product": line.product_id,  # the line's options, not the defaults
        "quantity": line.quantity,
        "discount_percent": line.discount_percent,
        "requested_date": line.requested_date,
        "scope_statement": line.scope_statement,
        "custom_spec": line.custom_spec,
    }
    for code, value in (line.configuration or {}).items():
        initial[f"{OPTION_PREFIX}{code}"] = value
    return initial
