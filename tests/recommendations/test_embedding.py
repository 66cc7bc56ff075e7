import numpy as np
import pytest

from recommendations.embedding import encode, film_text, text_hash
from tests.factories import CreditFactory, GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db


def test_film_text_carries_every_field_that_describes_the_film():
    movie = MovieFactory(title="Heat", year=1995, tagline="A Los Angeles crime saga.")
    movie.genres.add(GenreFactory(name="Crime"))
    CreditFactory(movie=movie, role="director", person__name="Michael Mann")
    CreditFactory(movie=movie, role="cast", person__name="Al Pacino", order=0)

    text = film_text(movie)

    for part in ["Heat (1995)", "Crime", "Michael Mann", "Al Pacino", "A Los Angeles crime saga."]:
        assert part in text
    assert movie.synopsis in text


def test_text_hash_changes_with_the_text():
    assert text_hash("a") != text_hash("b")
    assert text_hash("a") == text_hash("a")


def test_encode_returns_unit_vectors_and_similar_texts_are_closer():
    vectors = encode(["a bank heist", "robbers steal from a vault", "a romantic picnic"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_query_is_encoded_on_one_thread_and_a_batch_on_the_process_default():
    import torch

    from recommendations import embedding

    default = embedding._default_threads()
    embedding.encode(["a heist crew double-crosses each other"])
    assert torch.get_num_threads() == 1
    embedding.encode([f"film number {i}" for i in range(embedding.SMALL_INPUT + 1)])
    assert torch.get_num_threads() == default
