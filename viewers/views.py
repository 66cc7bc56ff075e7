from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from movies.models import Movie
from viewers.actions import film_action_urls
from viewers.identity import viewer_from_request
from viewers.models import Reaction
from viewers.selectors import my_list_movies, request_viewer_taste, viewer_taste
from viewers.services import my_list_toggle, reaction_toggle
from viewers.throttle import throttle_anonymous_feedback

REACTIONS = {"like": Reaction.Value.LIKE, "dislike": Reaction.Value.DISLIKE}


@require_GET
def my_list_page(request: HttpRequest) -> HttpResponse:
    films = my_list_movies(request_viewer_taste(request))
    return render(request, "viewers/my_list.html", {"films": films})


def _actions_response(request: HttpRequest, movie: Movie) -> HttpResponse:
    if not request.htmx:
        target = request.POST.get("next") or request.headers.get("referer") or "/"
        safe = url_has_allowed_host_and_scheme(target, {request.get_host()})
        return redirect(target if safe else "/")
    taste = viewer_taste(viewer_from_request(request))
    context = {
        "movie": movie,
        "reaction": taste.reaction_of(movie.pk),
        "in_list": movie.pk in taste.my_list,
        "urls": film_action_urls(movie.pk),
    }
    return render(request, "viewers/_film_actions.html#actions", context)


@require_POST
@throttle_anonymous_feedback
def film_reaction(request: HttpRequest, movie_id: int) -> HttpResponse:
    movie = get_object_or_404(Movie, pk=movie_id)
    value = REACTIONS.get(request.POST.get("value", ""))
    if value is None:
        return HttpResponseBadRequest("value must be like or dislike")
    reaction_toggle(
        viewer=viewer_from_request(request, create=True), movie_id=movie.pk, value=value
    )
    return _actions_response(request, movie)


@require_POST
@throttle_anonymous_feedback
def film_my_list(request: HttpRequest, movie_id: int) -> HttpResponse:
    movie = get_object_or_404(Movie, pk=movie_id)
    my_list_toggle(viewer=viewer_from_request(request, create=True), movie_id=movie.pk)
    return _actions_response(request, movie)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("recommendations:home")
    return render(request, "registration/signup.html", {"form": form})
