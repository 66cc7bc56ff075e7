from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("running/", views.running_jobs, name="running"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/panel/", views.job_panel_view, name="panel"),
    path("<int:pk>/cancel/", views.job_cancel_view, name="cancel"),
    path("<int:pk>/retry/", views.job_retry_view, name="retry"),
]
