"""What `core` relies on from the models of the apps above it, as protocols.

`core` is the ground floor: it never imports `accounts`. The user is
`settings.AUTH_USER_MODEL` (accounts.User) and these protocols name the few
attributes core's helpers read from it and from an organization, so type hints
stay honest without an import upward.
"""

from __future__ import annotations

from typing import Any, Protocol


class OrganizationLike(Protocol):
    pk: Any
    is_active: bool
    group: Any  # auth.Group, the guardian group of the organization's contacts
    group_id: int | None


class UserLike(Protocol):
    pk: Any
    is_authenticated: bool
    is_active: bool
    is_superuser: bool

    @property
    def is_external(self) -> bool: ...

    @property
    def is_customer_contact(self) -> bool: ...

    @property
    def is_supplier_contact(self) -> bool: ...

    @property
    def organization(self) -> OrganizationLike | None: ...

    @property
    def role_names(self) -> frozenset[str]: ...

    def has_role(self, *roles: str) -> bool: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...
