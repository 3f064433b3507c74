"""One dataset for the whole access matrix, built once per module.

The dataset lives in a transaction opened here and rolled back when the module
ends; each test (pytest-django's `db`) and each request of the matrix runs in a
savepoint inside it, so a POST that changes something is undone before the
next request and the dataset is built only once.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase, override_settings

from tests.access_matrix.world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            CELERY_TASK_ALWAYS_EAGER=True,
            MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            # The harness clears the cache before every request (throttles): a cache
            # of this module's own, or it would flush the Redis cache that tests in
            # the other xdist worker rely on (their exact query counts).
            CACHES={
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "access-matrix",
                }
            },
        ),
        transaction.atomic(),
    ):
        mail.outbox = []
        # The services queue e-mails with on_commit; run them so the e-mails the
        # dataset's own workflow sends are checked too.
        with TestCase.captureOnCommitCallbacks(execute=True):
            world = build_world()
        world.setup_mail = list(mail.outbox)
        yield world
        transaction.set_rollback(True)
