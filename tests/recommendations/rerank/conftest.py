"""A tiny catalogue and tiny labelled queries the reranker can learn from in seconds, and a
tiny model trained once per session on them."""

import random
from pathlib import Path

import numpy as np
import pytest

from recommendations.lab.queries import LabelledQuery
from recommendations.lab.reranker_data import Film, limit_torch_threads
from recommendations.lab.reranker_training import Recipe, train_reranker
from recommendations.rerank.base import Candidate

PLANTED_QUERY = "that film where ghosts haunt a lighthouse in the fog"

THEMES = [
    ("pirates", "an island treasure map", "sea"),
    ("dragons", "a burning mountain castle", "fire"),
    ("robots", "a factory that builds itself", "steel"),
    ("ghosts", "a haunted lighthouse", "fog"),
    ("vampires", "a night train across Romania", "blood"),
    ("astronauts", "a broken space station", "orbit"),
    ("cowboys", "a desert bank robbery", "dust"),
    ("chefs", "a failing Paris restaurant", "kitchen"),
    ("boxers", "a comeback title fight", "ring"),
    ("detectives", "a poisoned millionaire", "clue"),
    ("witches", "a village curse", "spell"),
    ("surfers", "a giant winter wave", "board"),
    ("spies", "a stolen microfilm in Berlin", "cipher"),
    ("dinosaurs", "a theme park breakout", "fossil"),
    ("zombies", "a shopping mall siege", "plague"),
    ("musicians", "a jazz club in New Orleans", "trumpet"),
    ("samurai", "a masterless swordsman", "katana"),
    ("hackers", "a bank's leaking mainframe", "code"),
    ("climbers", "a frozen north face", "rope"),
    ("magicians", "a vanishing elephant trick", "cards"),
    ("soldiers", "a jungle rescue mission", "helicopter"),
    ("aliens", "a cornfield landing", "signal"),
    ("dancers", "a ballet school rivalry", "stage"),
    ("thieves", "a museum diamond heist", "vault"),
]


class ExactDenseCandidates:
    """The tiny catalogue's first stage: exact cosine of the query to every film's text (the
    served catalogue's is search.pipeline.retrieve, reranker_data.RetrievedCandidates)."""

    def __init__(self, films: list[Film]):
        from recommendations.embedding import encode

        self.films = films
        self.vectors = encode([f.text for f in films])
        self._rows = {film.movie_id: row for row, film in enumerate(films)}

    def vector_of(self, movie_id: int) -> np.ndarray | None:
        row = self._rows.get(movie_id)
        return None if row is None else self.vectors[row]

    def __call__(self, query: str, k: int) -> list[Candidate]:
        from recommendations.embedding import encode

        # torch's fp32 vector, as the films': the same candidates on every CPU (the query
        # encoder's `auto` precision is int8 per token on some), so the same tiny training run.
        similarities = self.vectors @ encode([query])[0]
        top = np.argsort(-similarities, kind="stable")[:k]
        return [
            Candidate(
                movie_id=self.films[i].movie_id,
                text=self.films[i].text,
                vector=self.vectors[i],
                stage_scores={"dense": float(similarities[i])},
            )
            for i in top
        ]


def tiny_films() -> list[Film]:
    films = []
    for i, (who, what, word) in enumerate(THEMES, start=1):
        synopsis = (
            f"A band of {who} is drawn into {what}. Nobody trusts the {word} any more. "
            f"The {who} must survive one long night before the {word} takes everything."
        )
        text = (
            f"The {word.title()} Story ({1980 + i}) Genres: Drama. "
            f"Keywords: {who}, {word}, {what}. {synopsis}"
        )
        films.append(
            Film(movie_id=i, text=text, synopsis=synopsis, keywords=(who, word, what), tmdb_id=i)
        )
    return films


def tiny_queries(films: list[Film]) -> list[LabelledQuery]:
    rng = random.Random(3)
    forms = [
        "movie with {who} and {what}",
        "I remember {what}, there were {who}",
        "film where the {word} matters and {who} fight",
        "{who} {word} movie from the 80s",
    ]
    queries = []
    for film in films:
        who, word, what = film.keywords
        for n, form in enumerate(rng.sample(forms, 3)):
            text = form.format(who=who, what=what, word=word)
            queries.append(
                LabelledQuery(
                    id=f"q{film.movie_id}-{n}",
                    text=text,
                    tmdb_id=film.tmdb_id,
                    movie_id=film.movie_id,
                )
            )
    return queries


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """As the training command does: TF does the heavy work here (see limit_torch_threads)."""
    limit_torch_threads()


@pytest.fixture(scope="session")
def films() -> list[Film]:
    return tiny_films()


@pytest.fixture(scope="session")
def labelled_queries(films) -> list[LabelledQuery]:
    return tiny_queries(films)


@pytest.fixture(scope="session")
def candidates(films) -> ExactDenseCandidates:
    return ExactDenseCandidates(films)


@pytest.fixture(scope="session")
def models_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def trained(films, labelled_queries, candidates, models_root):
    recipe = Recipe.tiny(use_dense_prior=False, synthetic_queries=12)
    return train_reranker(
        films=films,
        queries=labelled_queries,
        candidates_for=candidates,
        recipe=recipe,
        output_root=models_root,
        version="tiny-test",
    )
