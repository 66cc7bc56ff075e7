import pytest

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
