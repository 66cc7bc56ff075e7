"""The default reranker: cosine between the query vector and each candidate's vector (the
seed's reranking, without re-embedding the candidates: their vectors come from the index)."""

import numpy as np

from recommendations.rerank.base import Candidate


class CosineReranker:
    name = "cosine"

    def __init__(self, query_vectors: np.ndarray | None = None) -> None:
        self.query_vectors = query_vectors

    def score(self, query: str, candidates: list[Candidate]) -> list[float]:
        if self.query_vectors is None:
            from recommendations.search.dense import encode_query
            from recommendations.search.query import split_chunks

            self.query_vectors = encode_query(split_chunks(query))
        scores = []
        for candidate in candidates:
            if candidate.vector is None:
                scores.append(float("-inf"))
            else:
                scores.append(float((self.query_vectors @ candidate.vector).max()))
        return scores
