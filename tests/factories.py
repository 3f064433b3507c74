from __future__ import annotations

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.accounts.models import (
    Address,
    AddressKind,
    ApiToken,
    Organization,
    OrganizationKind,
    User,
)
from apps.accounts.services import api_token_issue, membership_create, organization_ensure_group

PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organization {n}")
    code = factory.Sequence(lambda n: f"ORG{n}")
    kind = OrganizationKind.CUSTOMER
    email = factory.LazyAttribute(lambda o: f"office@{o.code.lower()}.example")

    @factory.post_generation
    def with_group(obj, create, extracted, **kwargs):
        if create:
            organization_ensure_group(organization=obj)


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    organization = factory.SubFactory(OrganizationFactory)
    kind = AddressKind.SHIPPING
    line1 = factory.Sequence(lambda n: f"{n} Industrial Way")
    city = "Dayton"
    postal_code = "45402"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a membership and roles: UserFactory(organization=org, roles=["sales_rep"])."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Person"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @classmethod
    def _create(cls, model_class, *args, organization=None, roles=(), **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        if organization is not None:
            membership_create(user=user, organization=organization)
        if roles:
            user.groups.add(*Group.objects.filter(name__in=roles))
        user.__dict__.pop("role_names", None)
        user.__dict__.pop("organization", None)
        return user


def api_token_key(user: User, *, name: str = "tests") -> str:
    """A working API key for `user`, as an integration in steady use holds one.

    Its last-used stamp is fresh, so a request costs only the token lookup (the
    stamp is written at most once a minute); query counts stay what a busy
    client sees.
    """
    token, key = api_token_issue(user=user, name=name)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return key
