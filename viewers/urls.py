from django.contrib.auth import views as auth_views
from django.urls import path

from viewers import views

app_name = "viewers"

urlpatterns = [
    path("my-list/", views.my_list_page, name="my_list_page"),
    path("films/<int:movie_id>/reaction/", views.film_reaction, name="reaction"),
    path("films/<int:movie_id>/my-list/", views.film_my_list, name="my_list"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
