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


BATCH_TEXTS = [
    "a long story about a boy who travels to find his dog " * 40,  # past 256 tokens
    "heist",
    "a crew of thieves double-crosses each other in 1970s Los Angeles",
    "Ein Film über Freundschaft — 東京, café & naïve jokes 🎬",
    "a shark",
    "   ",
    "two sisters run a bakery in a small town by the sea, and one of them falls in love",
]


@pytest.fixture
def fresh_batch_encoder(settings):
    """The batch encoder reset before and after the test, in fp32 (int8: test_query_encoder)."""
    from recommendations import query_encoder

    settings.RECSYS_INDEX_ENCODER_PRECISION = "fp32"
    query_encoder.get_batch_encoder.cache_clear()
    yield query_encoder
    query_encoder.get_batch_encoder.cache_clear()


def test_a_batch_in_onnx_gives_torch_s_vectors_in_the_order_given(fresh_batch_encoder, settings):
    settings.RECSYS_EMBEDDING_BATCH_SIZE = 2  # several runs of similar lengths, each padded apart
    assert fresh_batch_encoder.get_batch_encoder() is not None, "ONNX should load here"

    vectors = fresh_batch_encoder.encode_batch(BATCH_TEXTS)

    assert vectors.dtype == np.float32 and vectors.shape == (len(BATCH_TEXTS), 384)
    assert np.abs(vectors - encode(BATCH_TEXTS)).max() < 1e-5
    assert fresh_batch_encoder.encode_batch([]).shape == (0, 384)


def test_batches_go_to_torch_when_onnx_cannot_load_or_is_switched_off(
    fresh_batch_encoder, settings, tmp_path
):
    settings.RECSYS_MODELS_DIR = tmp_path
    path = fresh_batch_encoder.onnx_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an onnx graph")
    assert fresh_batch_encoder.get_batch_encoder() is None
    assert not path.exists()  # the bad file is not left for the next process
    assert np.abs(fresh_batch_encoder.encode_batch(["a heist"]) - encode(["a heist"])).max() < 1e-6

    fresh_batch_encoder.get_batch_encoder.cache_clear()
    settings.RECSYS_INDEX_ENCODER = "torch"
    assert fresh_batch_encoder.get_batch_encoder() is None
    assert not path.exists()
