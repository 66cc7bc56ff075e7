"""The ONNX Runtime inference of a trained cross-encoder scores as its Keras model does, is
exported once per artifact, and a bad export is replaced or falls back to TensorFlow."""

import shutil

import numpy as np

from recommendations.lab.reranker_training import new_model
from recommendations.rerank import onnx_runtime
from recommendations.rerank.cross_encoder import CrossEncoderReranker, load_model
from recommendations.rerank.encoder import encode_pairs
from recommendations.rerank.onnx_runtime import (
    INT8_FILE,
    INT8_TOLERANCE,
    ONNX_FILE,
    onnx_forward_for,
)

QUERY = "an old sailor hunts the white whale that took his leg"
DOCS = [
    "Moby Dick (1956). Captain Ahab drives his crew across the oceans after a white whale.",
    "A short one.",
    "Two friends open a bakery in Lyon; flour, debts and a wedding cake. " * 6,  # truncated
    "東京 story: a café, naïve jokes and a long train ride.",
]


def keras_and_onnx_scores(model, directory, prior):
    batch = encode_pairs(QUERY, DOCS, max_query_tokens=48, max_doc_tokens=108, bucket=16)
    inputs = (batch.input_ids, batch.token_type_ids, batch.attention_mask, prior)
    expected = np.asarray(model(*inputs, training=False))
    return expected, onnx_forward_for(model, directory)(*inputs)


def test_a_trained_artifact_scores_the_same_in_onnx_runtime(trained, tmp_path):
    model = load_model(trained.directory)
    prior = np.zeros(len(DOCS), dtype=np.float32)
    expected, scores = keras_and_onnx_scores(model, tmp_path, prior)
    assert scores.shape == (len(DOCS),)
    assert np.abs(scores - expected).max() < 1e-4
    assert (tmp_path / ONNX_FILE).is_file()


def test_the_dense_prior_term_is_carried_into_the_export(tmp_path):
    model = new_model(num_layers=2)  # pretrained layers, learned prior weight 20
    prior = np.array([0.7, 0.1, -0.3, 0.4], dtype=np.float32)
    expected, scores = keras_and_onnx_scores(model, tmp_path, prior)
    assert np.abs(scores - expected).max() < 1e-3
    assert np.argsort(scores).tolist() == np.argsort(expected).tolist()


def test_the_reranker_runs_onnx_when_asked_and_reuses_the_export(trained, tmp_path, monkeypatch):
    directory = tmp_path / "artifact"
    shutil.copytree(trained.directory, directory, ignore=shutil.ignore_patterns(ONNX_FILE))
    onnx_reranker = CrossEncoderReranker.from_directory(directory, runtime="onnx")
    tf_reranker = CrossEncoderReranker.from_directory(directory, runtime="tensorflow")
    assert (onnx_reranker.runtime, tf_reranker.runtime) == ("onnx", "tensorflow")
    prior = np.zeros(len(DOCS), dtype=np.float32)
    assert np.allclose(
        onnx_reranker.score_pairs(QUERY, DOCS, prior),
        tf_reranker.score_pairs(QUERY, DOCS, prior),
        atol=1e-4,
    )

    exports = []
    monkeypatch.setattr(onnx_runtime, "export", lambda *args: exports.append(args))
    assert CrossEncoderReranker.from_directory(directory, runtime="onnx").runtime == "onnx"
    assert exports == []  # the file written by the first load served the second


def test_a_corrupt_export_is_replaced(trained, tmp_path):
    (tmp_path / ONNX_FILE).write_bytes(b"not a graph")
    model = load_model(trained.directory)
    expected, scores = keras_and_onnx_scores(model, tmp_path, np.zeros(len(DOCS), np.float32))
    assert np.abs(scores - expected).max() < 1e-4


def test_an_export_that_cannot_be_made_falls_back_to_tensorflow(
    trained, tmp_path, monkeypatch, caplog
):
    def broken(*args):
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(onnx_runtime, "export", broken)
    directory = tmp_path / "artifact"
    shutil.copytree(trained.directory, directory, ignore=shutil.ignore_patterns(ONNX_FILE))

    reranker = CrossEncoderReranker.from_directory(directory, runtime="onnx")

    assert reranker.runtime == "tensorflow"
    assert "ONNX inference unavailable" in caplog.text


def test_int8_weights_are_made_from_the_fp32_export_once_and_score_near_keras(
    trained, tmp_path, monkeypatch
):
    directory = tmp_path / "artifact"
    shutil.copytree(trained.directory, directory, ignore=shutil.ignore_patterns("*.onnx"))

    reranker = CrossEncoderReranker.from_directory(directory, runtime="onnx-int8")

    assert reranker.runtime == "onnx-int8"
    assert (directory / ONNX_FILE).is_file() and (directory / INT8_FILE).is_file()
    assert (directory / INT8_FILE).stat().st_size < 0.5 * (directory / ONNX_FILE).stat().st_size
    prior = np.zeros(len(DOCS), dtype=np.float32)
    expected = CrossEncoderReranker.from_directory(directory).score_pairs(QUERY, DOCS, prior)
    scores = reranker.score_pairs(QUERY, DOCS, prior)
    assert np.abs(scores - expected).max() <= INT8_TOLERANCE * (1 + np.abs(expected).max())

    made = []
    monkeypatch.setattr(onnx_runtime, "quantize_int8", lambda *args: made.append(args))
    assert CrossEncoderReranker.from_directory(directory, runtime="onnx-int8").runtime == (
        "onnx-int8"
    )
    assert made == []  # the int8 file of the first load served the second


def test_int8_keeps_the_feed_forward_output_projections_fp32(trained, tmp_path):
    import onnx

    directory = tmp_path / "artifact"
    shutil.copytree(trained.directory, directory, ignore=shutil.ignore_patterns("*.onnx"))
    CrossEncoderReranker.from_directory(directory, runtime="onnx-int8")

    kept = onnx_runtime.ffn_output_matmuls(directory / ONNX_FILE)
    layers = load_model(directory).config.encoder.num_layers
    assert kept == [f"/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(layers)]
    int8_nodes = {n.name: n.op_type for n in onnx.load(str(directory / INT8_FILE)).graph.node}
    assert all(int8_nodes[name] == "MatMul" for name in kept)  # not quantised
    assert not any(name.endswith("/intermediate/dense/MatMul") for name in int8_nodes)
    assert any(op == "MatMulInteger" for op in int8_nodes.values())


def test_a_corrupt_int8_file_is_made_again(trained, tmp_path):
    directory = tmp_path / "artifact"
    shutil.copytree(trained.directory, directory, ignore=shutil.ignore_patterns("*.onnx"))
    (directory / INT8_FILE).write_bytes(b"not a graph")

    reranker = CrossEncoderReranker.from_directory(directory, runtime="onnx-int8")

    assert reranker.runtime == "onnx-int8"
    assert (directory / INT8_FILE).stat().st_size > 1000
