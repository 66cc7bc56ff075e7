"""A web process's numeric thread pools: one thread each for a search's small products, and no
thread spinning while it waits (issue 20: 20 ms of CPU for 10 ms of wall time a search)."""

import os
import runpy
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from threadpoolctl import threadpool_info, threadpool_limits

from recommendations.onnx_models import cpu_session
from recsys_site.warmup import limit_serving_threads

ROOT = Path(__file__).resolve().parents[2]
POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture
def restore_thread_pools():
    original = {pool["prefix"]: pool["num_threads"] for pool in threadpool_info()}
    yield
    threadpool_limits(limits=original)


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_serving_caps_numpys_blas_at_the_setting(settings, restore_thread_pools):
    np.ones((64, 64), dtype=np.float32) @ np.ones(64, dtype=np.float32)  # BLAS loaded
    threadpool_limits(limits=2)
    settings.RECSYS_SERVING_THREADS = 1

    limit_serving_threads()

    assert blas_threads() == {1}


def test_the_setting_can_give_a_search_more_threads(settings, restore_thread_pools):
    threadpool_limits(limits=1)
    settings.RECSYS_SERVING_THREADS = 2

    limit_serving_threads()

    assert blas_threads() == {2}


def test_gunicorn_sizes_the_pools_of_its_workers_from_the_setting(monkeypatch):
    for name in POOL_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # restored after the test, whatever is set
    monkeypatch.setenv("RECSYS_SERVING_THREADS", "3")

    runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert {os.environ[name] for name in POOL_VARIABLES} == {"3"}


def test_gunicorn_leaves_a_pool_size_set_by_hand(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "4")

    runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert os.environ["OMP_NUM_THREADS"] == "4"


def test_onnx_sessions_do_not_spin_between_runs(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "identity",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    path = tmp_path / "identity.onnx"
    onnx.save(helper.make_model(graph), path)

    session = cpu_session(path, threads=2)

    options = session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.get_session_config_entry("session.inter_op.allow_spinning") == "0"
    assert session.run(None, {"x": np.array([1.5], dtype=np.float32)})[0].tolist() == [1.5]


def test_a_warmed_worker_hides_what_it_loaded_from_the_collector():
    import gc

    from recsys_site.warmup import freeze_loaded_objects

    loaded = [{"film": n} for n in range(1000)]
    try:
        freeze_loaded_objects()
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()
