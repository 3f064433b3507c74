"""The model backend, with a person's organization and permissions read in fewer queries.

Every request loads the user; every staff page asks `has_perm` (visible_to) and
the navigation asks for the roles. Django's ModelBackend spends a query on the
organization (User.organization), one on the user's permissions, one on the
group permissions and one on the groups. Here the organization comes with the
user, and roles and permissions come in one query (User.role_names).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from apps.accounts.models import User


class TandemBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("membership__organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return user_obj.permission_names

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return self.get_all_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return self.get_all_permissions(user_obj, obj)
