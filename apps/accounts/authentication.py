"""`Authorization: Token <key>` against our own expiring, hashed API tokens.

Every API call reads its token, the user, the user's organization and (for the
permission checks of every staff list) the user's roles and model permissions.
`token_with_user` reads all of it in ONE query whose SQL is written once per
database vendor: the ORM would compile a three-join `get()` and a UNION on every
call, which was a third of a list's function calls.
"""

from __future__ import annotations

import functools

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from apps.accounts.models import ApiToken, Membership, Organization, User
from apps.core.prepared import run_prepared

# How stale `last_used_at` may get: a busy integration writes it once a minute,
# not on every request.
LAST_USED_PRECISION = timezone.timedelta(minutes=1)

# Separators of the roles column: ASCII record / unit separators, which no group
# name, app label or codename holds.
_RECORD, _UNIT = "\x1e", "\x1f"

# (model, alias) in the order of the query's columns.
_TABLES = ((ApiToken, "t"), (User, "u"), (Membership, "m"), (Organization, "o"))


class _Plan:
    """The token query's SQL and, per table, its fields and their database converters."""

    def __init__(self, conn) -> None:
        qn = conn.ops.quote_name
        self.columns: list[tuple[type, int, list]] = []
        select = []
        for model, alias in _TABLES:
            fields = list(model._meta.concrete_fields)
            converters = []
            for i, field in enumerate(fields):
                col = field.get_col(alias)
                found = [*conn.ops.get_db_converters(col), *field.get_db_converters(conn)]
                converters.extend((i, convert, col) for convert in found)
                select.append(f"{alias}.{qn(field.column)}")
            self.columns.append((model, len(fields), converters))
        user_groups = User.groups.through._meta
        user_perms = User.user_permissions.through._meta
        group_perms = Group.permissions.through._meta
        permission, group = Permission._meta, Group._meta
        content_type = ContentType._meta
        aggregate = "STRING_AGG" if conn.vendor == "postgresql" else "GROUP_CONCAT"
        # User.role_names's UNION: group names with their permissions, then the
        # user's own permissions (group ""), one "group<US>app.codename" per row.
        roles = (
            f"SELECT g.{qn('name')} AS grp, ct.{qn('app_label')} AS app,"  # noqa: S608 - names from _meta
            f" p.{qn('codename')} AS code"
            f" FROM {qn(group.db_table)} g"
            f" INNER JOIN {qn(user_groups.db_table)} ug ON ug.{qn('group_id')} = g.{qn('id')}"
            f" LEFT JOIN {qn(group_perms.db_table)} gp ON gp.{qn('group_id')} = g.{qn('id')}"
            f" LEFT JOIN {qn(permission.db_table)} p ON p.{qn('id')} = gp.{qn('permission_id')}"
            f" LEFT JOIN {qn(content_type.db_table)} ct"
            f" ON ct.{qn('id')} = p.{qn('content_type_id')}"
            f" WHERE ug.{qn('user_id')} = u.{qn('id')}"
            " UNION ALL"
            f" SELECT '', ct.{qn('app_label')}, p.{qn('codename')}"
            f" FROM {qn(permission.db_table)} p"
            f" INNER JOIN {qn(user_perms.db_table)} up"
            f" ON up.{qn('permission_id')} = p.{qn('id')}"
            f" INNER JOIN {qn(content_type.db_table)} ct"
            f" ON ct.{qn('id')} = p.{qn('content_type_id')}"
            f" WHERE up.{qn('user_id')} = u.{qn('id')}"
        )
        # The roles come as one text; its separators are the query's first parameters.
        select.append(
            f"(SELECT {aggregate}(COALESCE(r.grp, '') || %s || COALESCE(r.app, '')"  # noqa: S608
            f" || '.' || COALESCE(r.code, ''), %s) FROM ({roles}) r)"
        )
        membership = Membership._meta
        self.sql = (
            f"SELECT {', '.join(select)}"  # noqa: S608 - names from _meta
            f" FROM {qn(ApiToken._meta.db_table)} t"
            f" INNER JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')}"
            f" LEFT JOIN {qn(membership.db_table)} m ON m.{qn('user_id')} = u.{qn('id')}"
            f" LEFT JOIN {qn(Organization._meta.db_table)} o"
            f" ON o.{qn('id')} = m.{qn('organization_id')}"
            f" WHERE t.{qn('key_hash')} = %s"
        )

    def instances(self, row) -> tuple[list, str | None]:
        """The row's instances (token, user, membership or None, organization or None)
        and its roles text."""
        made, start = [], 0
        for model, width, converters in self.columns:
            values = list(row[start : start + width])
            for i, convert, col in converters:
                values[i] = convert(values[i], col, connection)
            start += width
            absent = values[0] is None  # a user without membership (LEFT JOIN)
            made.append(None if absent else model.from_db(connection.alias, None, values))
        return made, row[start]


@functools.cache
def _plan(vendor: str) -> _Plan:
    return _Plan(connection)


def _roles(text: str | None) -> tuple[frozenset[str], set[str]]:
    """User.role_names and permission_names from the roles column."""
    names, perms = set(), set()
    for record in (text or "").split(_RECORD) if text else ():
        group, _, perm = record.partition(_UNIT)
        if group:
            names.add(group)
        if perm != ".":  # a group without permissions
            perms.add(perm)
    return frozenset(names), perms


def token_with_user(key_hash: str) -> ApiToken | None:
    """The token of `key_hash` with its user, the user's membership and organization
    (User.organization) and roles and permissions (User.role_names) loaded; None if
    there is no such token. One query."""
    plan = _plan(connection.vendor)
    rows = run_prepared(connection, plan.sql, [_UNIT, _RECORD, key_hash])
    if not rows:
        return None
    (row,) = rows
    (token, user, membership, organization), roles = plan.instances(row)
    if membership is not None:
        membership._state.fields_cache["organization"] = organization
        membership._state.fields_cache["user"] = user
    user._state.fields_cache["membership"] = membership
    user.__dict__["role_names"], user.__dict__["_permission_names"] = _roles(roles)
    token._state.fields_cache["user"] = user
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's header parsing and `Token` challenge; our lookup, expiry and last-used stamp."""

    model = ApiToken

    def authenticate_credentials(self, key: str):
        token = token_with_user(ApiToken.hash_key(key))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return (token.user, token)
