from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.validators import MinValueValidator
from django.db import connections, models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.models import UUIDModel
from apps.core.prepared import run_prepared


class OrganizationKind(models.TextChoices):
    INTERNAL = "internal", "Internal"
    CUSTOMER = "customer", "Customer"
    SUPPLIER = "supplier", "Supplier"


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", "Prepaid"
    NET15 = "net15", "Net 15 days"
    NET30 = "net30", "Net 30 days"
    NET45 = "net45", "Net 45 days"
    NET60 = "net60", "Net 60 days"

    @classmethod
    def days(cls, value: str) -> int:
        return 0 if value == cls.PREPAID else int(value.removeprefix("net"))


class Organization(UUIDModel):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=OrganizationKind.choices, db_index=True)
    code = models.CharField(max_length=20, unique=True, help_text="Short reference, e.g. ACME.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    tax_id = models.CharField("tax ID", max_length=40, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    payment_terms = models.CharField(
        max_length=16, choices=PaymentTerms.choices, default=PaymentTerms.NET30
    )
    credit_limit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Customers only: open orders and invoices beyond this need finance approval.",
    )
    is_active = models.BooleanField(default=True)
    # Guardian grants object access to this group; every member of an external
    # organization is in it, so one grant covers all its contacts.
    group = models.OneToOneField(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="organization"
    )
    internal_notes = models.TextField(blank=True)
    hold_quote_promises = models.BooleanField(
        "hold sent quotes' promises",
        default=False,
        help_text="New quotes for this customer hold the stock and capacity of their promise "
        "from sending until their validity date.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__isnull=True) | models.Q(kind="customer"),
                name="credit_limit_customers_only",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_external(self) -> bool:
        return self.kind != OrganizationKind.INTERNAL

    @property
    def payment_days(self) -> int:
        return PaymentTerms.days(self.payment_terms)


def parse_weekdays(value: str) -> frozenset[int]:
    """ "1,2,3,4,5" → ISO weekdays; a malformed value reads as Monday–Friday."""
    try:
        days = frozenset(int(d) for d in value.split(",") if d.strip())
    except ValueError:
        days = frozenset()
    return days if days and days <= set(range(1, 8)) else frozenset(range(1, 6))


def validate_weekdays(value: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        days = {int(d) for d in value.split(",") if d.strip()}
    except ValueError:
        days = set()
    if not days or not days <= set(range(1, 8)):
        raise ValidationError("Use weekday numbers 1–7 (Monday=1) separated by commas.")


class AddressKind(models.TextChoices):
    BILLING = "billing", "Billing"
    SHIPPING = "shipping", "Shipping"


class Address(UUIDModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(max_length=16, choices=AddressKind.choices)
    label = models.CharField(max_length=100, blank=True, help_text="e.g. Main plant, Dock 4")
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 country code")
    is_default = models.BooleanField(default=False)
    # Delivery promises end on a day this site receives goods (DESIGN §5, transit).
    receiving_weekdays = models.CharField(
        max_length=13,
        default="1,2,3,4,5",
        validators=[validate_weekdays],
        help_text="Days the site receives deliveries: ISO weekdays, Monday=1 … Sunday=7.",
    )

    class Meta:
        ordering = ["kind", "-is_default", "label"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(is_default=True),
                name="one_default_address_per_kind",
            )
        ]

    def __str__(self) -> str:
        return ", ".join(
            p for p in [self.label, self.line1, self.line2, self.city, self.postal_code] if p
        )

    @property
    def receiving_days(self) -> frozenset[int]:
        return parse_weekdays(self.receiving_weekdays)

    @property
    def receiving_days_text(self) -> str:
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return ", ".join(names[d - 1] for d in sorted(self.receiving_days))

    @property
    def lines(self) -> list[str]:
        city = " ".join(p for p in [self.city, self.region, self.postal_code] if p)
        return [p for p in [self.line1, self.line2, city, self.country] if p]


_ROLES_SENTINEL = -7_340_017  # a user pk no row has, marking where the user's pk goes


@functools.cache
def _roles_sql(using: str) -> tuple[str, tuple, tuple[int, ...]]:
    """The SQL of a user's groups and permissions (both through groups and direct), as
    (sql, params, the places of the user's pk among params): compiled once per process
    and database. Every staff page asks for the roles (navigation, has_perm), and
    building the UNION costs the ORM ~2,300 calls while running it costs ~100."""
    from django.contrib.auth.models import Permission
    from django.db.models import CharField, Value

    # No ORDER BY in the parts of the UNION: SQLite (the demo) refuses it.
    groups = (
        Group.objects.filter(user=_ROLES_SENTINEL)
        .order_by()
        .values_list("name", "permissions__content_type__app_label", "permissions__codename")
    )
    direct = (
        Permission.objects.filter(user=_ROLES_SENTINEL)
        .order_by()
        .values_list(Value("", output_field=CharField()), "content_type__app_label", "codename")
    )
    query = groups.union(direct, all=True).query
    sql, params = query.get_compiler(using=using).as_sql()
    places = tuple(i for i, param in enumerate(params) if param == _ROLES_SENTINEL)
    if len(places) != 2:
        raise RuntimeError("the roles query must take the user's pk in both of its parts")
    return sql, tuple(params), places


class User(AbstractUser):
    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_unique_ci"
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @staticmethod
    def name_from(username: str, first_name: str, last_name: str) -> str:
        """str() of the user of these values (a list row that reads them as values):
        the full name as get_full_name() writes it, else the username."""
        return f"{first_name} {last_name}".strip() or username

    @cached_property
    def organization(self) -> Organization | None:
        if not self.pk:
            return None
        if "membership" in self._state.fields_cache:
            # Loaded with the user (accounts.backends.TandemBackend.get_user).
            cached = self._state.fields_cache["membership"]
            return cached.organization if cached is not None else None
        # One query for membership and organization together: this runs on every request.
        return Organization.objects.filter(memberships__user_id=self.pk).first()

    @property
    def is_external(self) -> bool:
        # Fail closed: a login without an internal membership is treated as
        # external (sees nothing), except a superuser created from the shell.
        if self.is_superuser:
            return False
        org = self.organization
        return org is None or org.is_external

    @property
    def is_customer_contact(self) -> bool:
        org = self.organization
        return org is not None and org.kind == OrganizationKind.CUSTOMER

    @property
    def is_supplier_contact(self) -> bool:
        org = self.organization
        return org is not None and org.kind == OrganizationKind.SUPPLIER

    @cached_property
    def role_names(self) -> frozenset[str]:
        """Group names; the permissions (`permission_names`) come in the same query."""
        if not self.pk:
            self.__dict__["_permission_names"] = set()
            return frozenset()
        sql, params, places = _roles_sql(self._state.db or "default")
        params = list(params)
        for i in places:
            params[i] = self.pk
        rows = run_prepared(connections[self._state.db or "default"], sql, params)
        names, perms = set(), set()
        for group, app_label, codename in rows:
            if group:
                names.add(group)
            if codename:
                perms.add(f"{app_label}.{codename}")
        self.__dict__["_permission_names"] = perms
        return frozenset(names)

    @property
    def permission_names(self) -> set[str]:
        """ "app.codename" of every model permission held directly or through a group.

        Tied to role_names: dropping that cached value (after changing groups)
        reloads both.
        """
        if "role_names" not in self.__dict__ or "_permission_names" not in self.__dict__:
            self.__dict__.pop("role_names", None)
            self.role_names  # noqa: B018 - loads both
        return self.__dict__["_permission_names"]

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    def save(self, *args, **kwargs) -> None:
        # set_password() leaves the new password in `_password` until the save;
        # a hash upgrade on login clears it first, so only a real change counts.
        password_changed = self._password is not None
        adding = self._state.adding
        super().save(*args, **kwargs)
        # A new password or a deactivation ends every API token: whoever held the
        # old password (or the account) keeps no way in.
        if (password_changed or not self.is_active) and not adding:
            ApiToken.objects.filter(user_id=self.pk).delete()


class Membership(models.Model):
    """A person's place in an organization. One organization per login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    job_title = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary_contact = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class Invitation(UUIDModel):
    """A signed, expiring, single-use link for a customer or supplier contact."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations_sent"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organization}"

    @property
    def expires_at(self):
        return self.created_at + timezone.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"


class ApiToken(models.Model):
    """An API credential: several per user, named, expiring, revocable.

    Only a SHA-256 of the key is stored (keys are 160 random bits, so a fast
    hash is enough); the key itself is shown once, when it is issued.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, so its owner can tell tokens apart.
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(20)  # 40 hex characters, as DRF's keys were

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
