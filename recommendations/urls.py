from django.urls import path

from recommendations import api, views

app_name = "recommendations"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("movies/<int:movie_id>/", views.movie_detail, name="movie"),
    path("api/recommend/query", api.recommend_query, name="api-query"),
    path("api/movies/<int:movie_id>/similar", api.similar_movies, name="api-similar"),
]
