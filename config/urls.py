from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

# Browsers ask for /favicon.ico before reading any <link rel="icon">. Not permanent:
# the target is a hashed name that changes with the icon.
favicon = RedirectView.as_view(
    url=lazy(staticfiles_storage.url, str)("favicon.ico"), permanent=False
)

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.accounts.urls")),
    path("api/", include("config.api")),
    path("", include("apps.core.urls")),
    path("sales/", include("apps.sales.urls")),
    path("portal/", include("apps.customers.urls")),
    path("track/", include("apps.customers.urls_tracker")),
    path("engineering/", include("apps.engineering.urls")),
    path("manufacturing/", include("apps.manufacturing.urls")),
    path("", include("apps.suppliers.urls")),
]

if settings.TANDEM_BENCH:
    from apps.core.bench import bare

    urlpatterns.append(path("bench/bare/", bare, name="bench-bare"))
