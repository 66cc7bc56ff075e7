"""Tunes the pipeline's weights on half of tomt-dev (recommendations.lab.split: ids hashed into
two halves; before issue 17 an md5 of the id chose other halves) and reports
both halves, so the chosen figures can be checked for overfitting.

    python -m bench.catalogues tmdb && python -m bench.tune [config...]
"""

import json
import sys
import time

from bench.catalogues import SHARED_DATA, setup_django


def split(queries):
    """(tune half, held-out half): the lab's one split, salted apart from the reranker's."""
    from recommendations.lab.split import split_by_query

    return split_by_query(queries, held_out_fraction=0.5, salt="pipeline-tune-v1")


def warm_query_cache(queries) -> None:
    """Encodes every query once through search's own encoder and cache (made large enough in
    main), so that every configuration reuses the vectors a request would compute."""
    from recommendations.search import dense
    from recommendations.search.query import parse_query

    for query in queries:
        if chunks := parse_query(query.query).chunks:
            dense.encode_query(chunks)


def main(configs: list[dict]) -> None:
    setup_django("tmdb")
    from recommendations.lab.search_evaluation import evaluate, load_queries
    from recommendations.search import dense
    from recommendations.search.lexical import FieldWeights
    from recommendations.search.pipeline import DEFAULT_CONFIG, PipelineConfig

    dense._query_cache.size = 100_000  # encode each query once across configs
    queries = load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl")
    warm_query_cache(queries)
    tune, held_out = split(queries)
    for overrides in configs or [{}]:
        fields = overrides.pop("fields", None)
        config = PipelineConfig(**{**DEFAULT_CONFIG.__dict__, **overrides})
        if fields:
            config = PipelineConfig(**{**config.__dict__, "fields": FieldWeights(*fields)})
        started = time.perf_counter()
        a = evaluate(tune, config=config).stages
        b = evaluate(held_out, config=config).stages
        line = {
            "config": {**overrides, **({"fields": fields} if fields else {})},
            "tune": {s: round(m["ndcg@10"], 4) for s, m in a.items()},
            "held_out": {s: round(m["ndcg@10"], 4) for s, m in b.items()},
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main([json.loads(arg) for arg in sys.argv[1:]])
