from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.accounts.urls")),
    path("api/", include("config.api")),
    path("", include("apps.core.urls")),
    path("sales/", include("apps.sales.urls")),
    path("portal/", include("apps.customers.urls")),
    path("", include("apps.suppliers.urls")),
]

if settings.TANDEM_BENCH:
    from apps.core.bench import bare

    urlpatterns.append(path("bench/bare/", bare, name="bench-bare"))
