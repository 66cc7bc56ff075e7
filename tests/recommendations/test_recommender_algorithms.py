import numpy as np
import scipy.sparse as sp

from recommendations.lab import recommender_evaluation as evaluation
from recommendations.recommenders import algorithms


def _interactions(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    data = [(u, i) for u, items in enumerate(rows) for i in items]
    users, items = zip(*data, strict=True)
    return sp.csr_matrix((np.ones(len(data)), (users, items)), shape=(len(rows), n_items))


X = _interactions([[0, 1], [0, 1], [0, 1, 2], [3, 4], [3, 4], [2, 3, 4]], 5)


def test_ease_and_item_knn_recommend_what_co_occurs():
    for weights in (algorithms.ease_fit(X, lam=1.0), algorithms.item_knn_fit(X, neighbours=2)):
        scores = algorithms.collaborative_scores(weights, np.array([0]))
        assert algorithms.top_n(scores, 1, exclude=np.array([0]))[0] == 1
        scores = algorithms.collaborative_scores(weights, np.array([4]))
        assert algorithms.top_n(scores, 1, exclude=np.array([4]))[0] == 3


def test_ease_has_a_zero_diagonal():
    assert np.allclose(np.diag(algorithms.ease_fit(X)), 0.0)


def test_the_hybrid_leans_on_content_for_one_like_and_on_ratings_for_many():
    assert algorithms.content_weight(1) > 0.5 > algorithms.content_weight(20)
    assert algorithms.content_weight(1000, algorithms.HybridParams(content_floor=0.1)) == 0.1
    assert algorithms.popularity_prior_weight(1) > algorithms.popularity_prior_weight(50)
    everywhere = np.ones(3, dtype=bool)
    collaborative, content = np.array([1.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.5])
    one = algorithms.hybrid_scores(
        collaborative=collaborative,
        content=content,
        n_likes=1,
        has_vector=everywhere,
        in_collaborative=everywhere,
    )
    many = algorithms.hybrid_scores(
        collaborative=collaborative,
        content=content,
        n_likes=30,
        has_vector=everywhere,
        in_collaborative=everywhere,
    )
    assert np.argmax(one.scores) == 1
    assert np.argmax(many.scores) == 0


def test_top_n_skips_excluded_and_orders_best_first():
    assert list(algorithms.top_n(np.array([0.1, 0.9, 0.5, 0.7]), 2, exclude=np.array([1]))) == [
        3,
        2,
    ]


def test_time_split_holds_out_each_users_latest_fifth():
    ratings = evaluation.Ratings(
        users=np.array([1] * 10 + [2] * 3),
        items=np.array([*range(10, 0, -1), 7, 8, 9]),
        timestamps=np.array([*range(10), 30, 10, 20]),
    )
    split = evaluation.time_split(ratings)
    assert split.train[1] == [10, 9, 8, 7, 6, 5, 4, 3] and split.test[1] == [2, 1]
    assert split.train[2] == [8, 9] and split.test[2] == [7]


def test_recall_and_ndcg_at_k():
    relevant = {1, 2}
    assert evaluation.recall_at_k([1, 5, 2], relevant, k=3) == 1.0
    assert evaluation.recall_at_k([5, 6, 1], relevant, k=3) == 0.5
    assert evaluation.ndcg_at_k([1, 2, 5], relevant, k=3) == 1.0
    expected = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert np.isclose(evaluation.ndcg_at_k([5, 1, 6], relevant, k=3), expected)
    assert evaluation.ndcg_at_k([5, 6, 7], relevant, k=3) == 0.0


def test_the_rows_blend_takes_the_weights_of_the_viewers_history_band():
    blend = algorithms.RowBlend(bands=((1, 0.9, 0.0), (5, 0.0, 0.0), (1_000_000, 0.5, 2.0)))
    assert blend.weights(0) == blend.weights(1) == (0.9, 0.0)
    assert blend.weights(4) == (0.0, 0.0) and blend.weights(50) == (0.5, 2.0)
    collaborative = np.array([3.0, 0.0, 1.0, 0.0])
    content = np.array([0.0, 1.0, 0.0, 0.5])
    popularity = np.array([0.0, 0.0, 0.0, 100.0])
    every = np.ones(4, dtype=bool)

    def best(n_likes: int) -> int:
        scores = algorithms.row_scores(
            collaborative=collaborative,
            content=content,
            n_likes=n_likes,
            has_vector=every,
            in_collaborative=every,
            popularity=popularity,
            blend=blend,
        ).scores
        return int(np.argmax(scores))

    assert best(1) == 1  # content leads
    assert best(3) == 0  # ratings alone
    assert best(20) == 3  # the popularity prior
    no_ratings = algorithms.row_scores(
        collaborative=collaborative,
        content=content,
        n_likes=3,
        has_vector=every,
        in_collaborative=np.zeros(4, dtype=bool),
        blend=blend,
    )
    assert no_ratings.content_weight == 1.0  # without a trained model: the film vectors


def test_cooccurrence_is_the_share_of_an_items_viewers_who_watched_another_top_k_kept():
    table = algorithms.cooccurrence_fit(X, neighbours=2)
    assert table.dtype == np.float32 and table.shape == (5, 5)
    assert np.isclose(table[0, 1], 1.0)  # all three viewers of 0 watched 1
    assert table[0, 0] == 0.0
    # item 2's two viewers each watched two others: four at 0.5, two of them kept
    assert np.allclose(table[2].data, [0.5, 0.5])
    assert max(np.diff(table.indptr)) <= 2
    assert np.isclose(table[4, 3], 1.0) and np.isclose(table[4, 2], 1 / 3)


def test_the_rows_blend_takes_cooccurrence_only_for_its_short_histories():
    blend = algorithms.RowBlend(bands=((1_000_000, 0.0, 0.0),), cooccurrence=((1, 0.0, 0.0, 5.0),))
    assert blend.cooccurrence_weights(1) == (0.0, 0.0, 5.0)
    assert blend.cooccurrence_weights(2) is None
    every = np.ones(4, dtype=bool)

    def best(n_likes: int, cooccurrence: np.ndarray | None) -> int:
        return int(
            np.argmax(
                algorithms.row_scores(
                    collaborative=np.array([1.0, 0.0, 0.0, 0.0]),
                    content=np.zeros(4),
                    n_likes=n_likes,
                    has_vector=every,
                    in_collaborative=every,
                    cooccurrence=cooccurrence,
                    blend=blend,
                ).scores
            )
        )

    co = np.array([0.0, 0.0, 1.0, 0.0])
    assert best(1, co) == 2
    assert best(1, None) == best(2, co) == 0  # no table, or a longer history: without it
