"""The ONNX query encoder gives torch's vectors, is exported once, and falls back to torch."""

import numpy as np
import pytest

from recommendations import query_encoder
from recommendations.embedding import encode

TEXTS = [
    "heist",
    "a crew of thieves double-crosses each other, 2000s",
    "Ein Film über Freundschaft — 東京, café & naïve jokes 🎬",
    "   ",
    "a long story about a boy who travels to find his dog " * 40,  # past 256 tokens
]


@pytest.fixture
def fresh_encoder():
    """The module's per-process encoder reset before and after the test."""
    query_encoder.get_query_encoder.cache_clear()
    yield query_encoder
    query_encoder.get_query_encoder.cache_clear()


def test_onnx_vectors_match_torch_one_by_one_and_as_a_padded_batch(fresh_encoder):
    encoder = fresh_encoder.get_query_encoder()
    assert encoder is not None, "the ONNX encoder should load on this machine"
    expected = encode(TEXTS)

    batch = encoder.encode(TEXTS)
    singles = np.vstack([encoder.encode([t]) for t in TEXTS])

    assert batch.dtype == np.float32 and batch.shape == (len(TEXTS), 384)
    assert np.abs(batch - expected).max() < 1e-5
    assert np.abs(singles - expected).max() < 1e-5
    assert fresh_encoder.encode_queries([]).shape == (0, 384)


def test_the_export_is_written_once_and_later_processes_load_it(fresh_encoder, settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path
    fresh_encoder.get_query_encoder()
    path = fresh_encoder.onnx_path()
    assert path.is_file() and path.is_relative_to(tmp_path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    written = path.stat().st_mtime_ns

    fresh_encoder.get_query_encoder.cache_clear()  # as a new process would
    assert fresh_encoder.get_query_encoder() is not None
    assert path.stat().st_mtime_ns == written


def test_a_corrupt_export_falls_back_to_torch_and_is_removed(fresh_encoder, settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path
    path = fresh_encoder.onnx_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an onnx graph")

    assert fresh_encoder.get_query_encoder() is None
    assert not path.exists()
    vectors = fresh_encoder.encode_queries(["a bank heist"])
    assert np.abs(vectors - encode(["a bank heist"])).max() < 1e-6


def test_the_torch_setting_skips_onnx(fresh_encoder, settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path
    settings.RECSYS_QUERY_ENCODER = "torch"
    assert fresh_encoder.get_query_encoder() is None
    assert not fresh_encoder.onnx_path().exists()
