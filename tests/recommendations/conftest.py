import importlib

import pytest
from django.contrib import admin
from django.urls import clear_url_caches

from movies.models import Movie
from recommendations import admin_actions
from recommendations.indexing import services
from tests.factories import CreditFactory, GenreFactory, KeywordFactory, MovieFactory


@pytest.fixture
def catalogue(db):
    """A small catalogue of factory films with genres, keywords and credits."""
    drama, crime = GenreFactory(name="Drama"), GenreFactory(name="Crime")
    films = []
    for n in range(12):
        movie = MovieFactory(title=f"Catalogue film {n}")
        movie.genres.add(drama if n % 2 else crime)
        movie.keywords.add(KeywordFactory(name=f"theme {n % 4}"))
        CreditFactory(movie=movie, role="director")
        films.append(movie)
    return films


@pytest.fixture
def run_inline():
    """Run an index service with its batches executed here, in order; returns the Job."""

    def run(service, **kwargs):
        batches: list[services.Batch] = []
        job = service(dispatch=batches.append, **kwargs)
        for batch in batches:
            services.index_batch(batch=batch)
        if job is not None:
            job.refresh_from_db()
        return job

    return run


@pytest.fixture
def movie_admin():
    """The Movie admin that movies/admin.py registers; a plain one where that is absent."""
    import recsys_site.urls

    registered_here = not admin.site.is_registered(Movie)
    if registered_here:
        admin.site.register(Movie)
        admin_actions.register()
        importlib.reload(recsys_site.urls)
        clear_url_caches()
    yield admin.site.get_model_admin(Movie)
    if registered_here:
        admin.site.unregister(Movie)
        importlib.reload(recsys_site.urls)
        clear_url_caches()
