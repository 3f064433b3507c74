"""Tandem settings, driven by environment variables.

With nothing set this is the embedded demo: SQLite file, eager Celery, console
e-mail, DEBUG on. Setting DATABASE_URL, CELERY_BROKER_URL and SECRET_KEY turns
it into production: PostgreSQL, Redis, DEBUG off, secure cookies and HSTS.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATABASE_URL = env.str("DATABASE_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Production is whatever runs on a real database; the demo is everything else.
PRODUCTION = bool(DATABASE_URL) and not env.bool("TANDEM_DEMO", default=False)
DEMO_MODE = not PRODUCTION

DEBUG = env.bool("DEBUG", default=DEMO_MODE)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters.")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts Tandem is served on.")
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="demo-only-insecure-key-9c1f7e2b4a6d8f0e3b5c7a9d1f3e5b7c9a1d3f5e7b9"
    )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "django_fsm",
    "guardian",
    "django_htmx",
    "template_partials",
    "django_filters",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    # Tandem, in dependency order
    "apps.core",
    "apps.accounts",
    "apps.catalog",
    "apps.orders",
    "apps.sales",
    "apps.engineering",
    "apps.manufacturing",
    "apps.suppliers",
    "apps.customers",
    "apps.fulfillment",
    "apps.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.core.middleware.NoStoreForSignedInMiddleware",
    "apps.core.middleware.AreaAccessMiddleware",
    # Axes must be last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# N+1 detection (django-zeal, a test dependency): `make test` turns it on, so any
# request that loads related rows one by one fails its test.
if env.bool("TANDEM_ZEAL", default=False):
    INSTALLED_APPS.append("zeal")
    MIDDLEWARE.append("zeal.middleware.zeal_middleware")
    ZEAL_RAISE = True
    # A user's roles are read once per user object (cached on it); a service that
    # loads the same person twice (quote owner, actor) is not a per-row loop.
    ZEAL_ALLOWLIST = [{"model": "accounts.User", "field": "groups"}]
    # Two loads from one line can be by design (submit, then the automatic
    # approval, each lock the quote); a loop over rows shows three or more.
    ZEAL_NPLUSONE_THRESHOLD = 3

# `make bench` only: the bare baseline view and per-request query counts (apps.core.bench).
TANDEM_BENCH = env.bool("TANDEM_BENCH", default=False)
if TANDEM_BENCH:
    MIDDLEWARE.insert(0, "apps.core.bench.BenchMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.shell",
            ],
            # Replaces the built-in `date` filter with a memoised one for plain dates.
            "builtins": ["apps.core.templatetags.fast_dates"],
        },
    },
]

# Widgets rendered in Python, to the byte what Django's widget templates render
# (apps/core/widgets.py; every page with a form, the list filter bars most).
FORM_RENDERER = "apps.core.widgets.PythonWidgetRenderer"

if DATABASE_URL:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            # Two people saving at once: a deferred transaction that reads and then
            # writes fails at once with "database is locked" (SQLite cannot upgrade
            # the read lock while another writer holds one). BEGIN IMMEDIATE takes
            # the write lock first, so the second waits (up to `timeout` seconds)
            # and then meets the version check, a 409 as on PostgreSQL.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }

# PostgreSQL: the SQL compiled once per shape (apps/core/prepared.py `run_prepared`:
# filters on ids, benchmarked at the busiest) runs as a statement prepared on the server, planned
# once per connection instead of on every request. Every other query is planned for
# its values, as a skewed customer needs. Off behind a pooler in transaction mode
# (pgbouncer), whose server connections change under a prepared statement.
PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with the organization and permissions in fewer queries.
    "apps.accounts.backends.TandemBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Reset requests an hour, per e-mail address and per client address.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=5)
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=20)
if min(PASSWORD_RESET_LIMIT_PER_ADDRESS, PASSWORD_RESET_LIMIT_PER_CLIENT) < 1:
    raise ImproperlyConfigured("The PASSWORD_RESET_LIMIT_* settings must be at least 1.")
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1.")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Cache: Redis in production (shared by every web process), local memory in the demo.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tandem <tandem@kestrel.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: eager in the demo, Redis broker in production.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "tandem"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "expire-quotes": {"task": "apps.orders.tasks.expire_quotes", "schedule": 60 * 60},
    "remind-overdue-reviews": {
        "task": "apps.orders.tasks.remind_overdue_reviews",
        "schedule": 60 * 60,
    },
    # A bounded batch every 10 minutes: a new date reaches the customer at most
    # that long after its notice period (PROMISE_CUSTOMER_NOTICE_HOURS) ends.
    "release-due-forecasts": {
        "task": "apps.orders.tasks.release_due_forecasts",
        "schedule": 10 * 60,
    },
    # The full re-plan of every open line (apps.orders.replan), at night.
    "replan-nightly": {
        "task": "apps.orders.tasks.replan_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
}

# A new forecast date is told to the customer once staff confirm it, or at the
# latest this many hours after the re-plan found it (apps.orders.forecasts).
PROMISE_CUSTOMER_NOTICE_HOURS = env.int("PROMISE_CUSTOMER_NOTICE_HOURS", default=48)

# Guardian: no anonymous user row, object permissions through groups per organization.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# Login throttling (django-axes): lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# Content-Security-Policy: everything is served from our own origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

REST_FRAMEWORK = {
    # Token first: an anonymous API call answers 401 with `WWW-Authenticate: Token`
    # (DRF takes the challenge from the first class; session auth has none, so 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a nesting limit (a deeply nested body is a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.FilterBackend",
        "apps.core.api.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # 404 without the model's name, 409 with the allowed transitions, service errors mapped.
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "10/minute"},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "Lead-to-cash collaboration API: quotes, orders, suppliers, shipments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package: no CDN, works offline and
    # under script-src 'self' (the init script is served by the split view).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.role_dependent_fields_optional",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "apps.accounts.models.OrganizationKind",
        "AddressKindEnum": "apps.accounts.models.AddressKind",
        "PaymentTermsEnum": "apps.accounts.models.PaymentTerms",
        "QuoteStateEnum": "apps.orders.models.QuoteState",
        "ReviewStateEnum": "apps.orders.models.ReviewState",
        "OrderStateEnum": "apps.orders.models.OrderState",
        "ChangeStateEnum": "apps.orders.models.ChangeState",
        "InquiryStateEnum": "apps.sales.models.InquiryState",
        "InquirySourceEnum": "apps.sales.models.InquirySource",
        "OpportunityStateEnum": "apps.sales.models.OpportunityState",
    },
}

# Pricing policy: discounts beyond a role's limit, or a margin below the floor,
# require the pricing review (sales manager).
TANDEM_DISCOUNT_LIMITS = {
    "sales_rep": env.float("DISCOUNT_LIMIT_SALES_REP", default=10.0),
    "sales_manager": env.float("DISCOUNT_LIMIT_SALES_MANAGER", default=25.0),
}
TANDEM_MARGIN_FLOOR_PERCENT = env.float("MARGIN_FLOOR_PERCENT", default=20.0)
TANDEM_REVIEW_DAYS = env.int("REVIEW_DAYS", default=3)
TANDEM_QUOTE_VALIDITY_DAYS = env.int("QUOTE_VALIDITY_DAYS", default=30)

# Sales pipeline: the public inquiry form's throttle (valid submissions per client
# address an hour), the probability a qualified inquiry counts with in the
# weighted forecast, and a new opportunity's starting probability (percent).
INQUIRY_FORM_LIMIT_PER_CLIENT = env.int("INQUIRY_FORM_LIMIT_PER_CLIENT", default=5)
TANDEM_INQUIRY_FORECAST_PROBABILITY = env.int("INQUIRY_FORECAST_PROBABILITY", default=10)
TANDEM_OPPORTUNITY_DEFAULT_PROBABILITY = env.int("OPPORTUNITY_DEFAULT_PROBABILITY", default=20)
if INQUIRY_FORM_LIMIT_PER_CLIENT < 1:
    raise ImproperlyConfigured("INQUIRY_FORM_LIMIT_PER_CLIENT must be at least 1.")
if not (
    0 <= TANDEM_INQUIRY_FORECAST_PROBABILITY <= 100
    and 0 <= TANDEM_OPPORTUNITY_DEFAULT_PROBABILITY <= 100
):
    raise ImproperlyConfigured("Forecast probabilities are percentages between 0 and 100.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    if CELERY_TASK_ALWAYS_EAGER:
        raise ImproperlyConfigured("CELERY_BROKER_URL must be set in production.")
SESSION_COOKIE_HTTPONLY = True
