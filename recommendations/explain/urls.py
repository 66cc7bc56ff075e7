"""Included from recsys_site/urls.py: path("", include("recommendations.explain.urls"))."""

from django.urls import path

from recommendations.explain import views

app_name = "explain"

urlpatterns = [
    path("movies/<int:movie_id>/why", views.why_panel, name="why"),
    path("api/movies/<int:movie_id>/explain", views.explain_api, name="api"),
]
