from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("running/", views.running_jobs, name="running"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
]
