from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("admin-jobs/", include("jobs.urls")),
    path("", include("recommendations.urls")),
]
