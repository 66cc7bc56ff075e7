from django.contrib import admin
from django.urls import include, path

from recsys_site import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin-jobs/", include("jobs.urls")),
    path("", include("recommendations.urls")),
    path("", include("viewers.urls")),
    path("", include("recommendations.explain.urls")),
]
