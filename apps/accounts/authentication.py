"""`Authorization: Token <key>` against our own expiring, hashed API tokens."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from apps.accounts.models import ApiToken

# How stale `last_used_at` may get: a busy integration writes it once a minute,
# not on every request.
LAST_USED_PRECISION = timezone.timedelta(minutes=1)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's header parsing and `Token` challenge; our lookup, expiry and last-used stamp."""

    model = ApiToken

    def authenticate_credentials(self, key: str):
        try:
            # The organization comes along: every request asks for it (User.organization).
            token = ApiToken.objects.select_related("user__membership__organization").get(
                key_hash=ApiToken.hash_key(key)
            )
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return (token.user, token)
