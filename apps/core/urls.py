from django.urls import path

from apps.core import views, views_comments

app_name = "core"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notification_mark_read, name="notification-mark-read"),
    path("files/<uuid:pk>/", views_comments.attachment_download, name="attachment-download"),
    path("healthz", views.healthz, name="healthz"),
]
