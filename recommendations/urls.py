from django.urls import path

from recommendations import api, browse_views, home_views, views

app_name = "recommendations"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("movies/<int:movie_id>/", views.movie_detail, name="movie"),
    path("people/<int:person_id>/", browse_views.person_page, name="person"),
    path("keywords/<int:keyword_id>/", browse_views.keyword_page, name="keyword"),
    path("api/recommend/query", api.recommend_query, name="api-query"),
    path("api/movies/<int:movie_id>/similar", api.similar_movies, name="api-similar"),
    path("home/", home_views.home_page, name="home"),
    path("home/rows/", home_views.home_rows, name="home_rows"),
    path("home/rows/<slug:kind>/", home_views.home_row, name="home_row"),
]
