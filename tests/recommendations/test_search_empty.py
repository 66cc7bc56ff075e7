import pytest

from movies.models import Movie
from recommendations.selectors import movie_search, movie_similar
from tests.recommendations.conftest import reset_search_caches

pytestmark = pytest.mark.django_db


def test_an_empty_catalogue_answers_with_nothing(chroma_dir):
    reset_search_caches()
    assert not Movie.objects.exists()
    response = movie_search("anything")
    assert response.results == [] and response.total == 0
    assert movie_similar(12345).results == []
