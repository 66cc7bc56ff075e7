"""Short descriptive queries with graded judgements (data/short_queries.jsonl): the set is
well formed and keyed to real films, graded nDCG@10 matches hand-computed values, and
`evaluate --short-queries` scores every stage on an indexed catalogue."""

import csv
import json
import math
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from movies.models import Movie
from recommendations.lab.metrics import graded_ndcg
from recommendations.lab.short_queries import (
    SHORT_QUERIES_PATH,
    evaluate_graded,
    load_graded_queries,
)
from recommendations.search.pipeline import STAGES

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "catalogue.jsonl"


def bundled_films() -> dict[int, dict]:
    rows = (json.loads(line) for line in BUNDLED.read_text(encoding="utf-8").splitlines())
    return {row["tmdb_id"]: row for row in rows}


def tmdb_films(shared_data: Path) -> dict[int, tuple[str, int | None]]:
    """TMDB 5000 as the importer reads it: id -> (title, release year)."""
    with open(shared_data / "catalogues" / "tmdb_5000_movies.csv", encoding="utf-8") as handle:
        return {
            int(row["id"]): (
                row["title"],
                int(row["release_date"][:4]) if row["release_date"] else None,
            )
            for row in csv.DictReader(handle)
        }


# --- The data file ------------------------------------------------------------------------------


def test_the_set_has_enough_distinct_short_queries():
    queries = load_graded_queries()
    assert len(queries) >= 60
    assert len({q.id for q in queries}) == len(queries)
    texts = [" ".join(q.query.lower().split()) for q in queries]
    assert len(set(texts)) == len(texts), "a query written twice"
    for query in queries:
        assert 2 <= len(query.query.split()) <= 10, query.query
        assert query.judgements, query.id
        assert any(j.grade == 2 for j in query.judgements), f"{query.id}: nothing graded 2"


# a title that is also the plain words for what is asked
TITLES_THAT_ARE_WORDS = {("feel-good road trip", "Road Trip")}


def test_no_query_names_a_film_it_judges():
    """Descriptions, not titles: no judged film's title of two words or more is in its query."""

    def words(text: str) -> str:
        return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "

    for query in load_graded_queries():
        for judged in query.judgements:
            title = words(judged.title)
            if len(title.split()) >= 2 and (query.query, judged.title) not in TITLES_THAT_ARE_WORDS:
                assert title not in words(query.query), (query.query, judged.title)


def test_every_film_judged_is_a_real_film_of_either_catalogue(shared_data):
    bundled, tmdb = bundled_films(), tmdb_films(shared_data)
    for query in load_graded_queries():
        for judged in query.judgements:
            facts = []
            if judged.tmdb_id in bundled:
                facts.append((bundled[judged.tmdb_id]["title"], bundled[judged.tmdb_id]["year"]))
            if judged.tmdb_id in tmdb:
                facts.append(tmdb[judged.tmdb_id])
            assert (judged.title, judged.year) in facts, (query.id, judged, facts)


def test_each_query_has_at_least_three_films_judged_in_tmdb_5000(shared_data):
    tmdb = tmdb_films(shared_data)
    for query in load_graded_queries():
        in_tmdb = [j for j in query.judgements if j.tmdb_id in tmdb]
        assert len(in_tmdb) >= 3, query.query


def test_judged_films_of_the_bundled_catalogue_carry_its_title_and_year():
    """Checkable without ../shared: films the bundled catalogue holds are named as it names them."""
    bundled = bundled_films()
    judged_there = 0
    for query in load_graded_queries():
        for judged in query.judgements:
            if judged.tmdb_id in bundled:
                row = bundled[judged.tmdb_id]
                assert (judged.title, judged.year) == (row["title"], row["year"])
                judged_there += 1
    assert judged_there >= 100


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {
                "id": "a",
                "query": "q",
                "judgements": [{"tmdb_id": 1, "title": "x", "year": 1, "grade": 3}],
            },
            "grades",
        ),
        (
            {
                "id": "a",
                "query": "q",
                "judgements": [
                    {"tmdb_id": 1, "title": "x", "year": 1, "grade": 2},
                    {"tmdb_id": 1, "title": "x", "year": 1, "grade": 1},
                ],
            },
            "judged twice",
        ),
        ({"id": "a", "query": "q"}, "judgements"),
    ],
)
def test_a_bad_line_is_named(tmp_path, line, message):
    path = tmp_path / "short.jsonl"
    path.write_text("\n" + json.dumps(line) + "\n")
    with pytest.raises(ValueError, match=rf"line 2 of .*{message}"):
        load_graded_queries(path)


def test_a_query_id_used_twice_is_named(tmp_path):
    row = {
        "id": "a",
        "query": "q",
        "judgements": [{"tmdb_id": 1, "title": "x", "year": 1, "grade": 2}],
    }
    path = tmp_path / "short.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=r"line 2 .*used twice"):
        load_graded_queries(path)


# --- The metric ---------------------------------------------------------------------------------


def test_graded_ndcg_of_hand_computed_rankings():
    # the ideal order scores 1
    assert graded_ndcg([2, 1, 1], [1, 2, 1]) == pytest.approx(1.0)
    # the one right film (grade 2, gain 3) second: (3 / log2 3) / 3
    assert (
        graded_ndcg([0, 2], [2]) == pytest.approx(1 / math.log2(3)) == pytest.approx(0.63093, 1e-4)
    )
    # grades 1, 2, 0 against the ideal 2, 1, 1:
    # DCG = 1/1 + 3/log2(3) = 2.89279; IDCG = 3/1 + 1/log2(3) + 1/2 = 4.13093
    assert graded_ndcg([1, 2, 0], [2, 1, 1]) == pytest.approx(2.89279 / 4.13093, 1e-4)
    # a grade 1 film first and the grade 2 film missed: 1 / (3 + 1/log2 3) = 0.27541
    assert graded_ndcg([1, 0, 0], [2, 1]) == pytest.approx(0.27541, 1e-4)


def test_graded_ndcg_counts_only_the_top_ten():
    assert graded_ndcg([0] * 10 + [2], [2]) == 0.0
    # 12 fair answers, the ranking's ten all fair: the ideal is cut at ten too
    assert graded_ndcg([1] * 10, [1] * 12) == pytest.approx(1.0)
    assert graded_ndcg([], []) == 0.0
    assert graded_ndcg([0, 0], [2, 1]) == 0.0


# --- evaluate on an indexed catalogue -----------------------------------------------------------


@pytest.fixture
def bundled_keys(films, db) -> dict[str, Movie]:
    """The indexed test catalogue's films that the bundled catalogue holds, given its TMDB ids
    (the key the judgements use); rolled back after the test."""
    by_title_year = {
        (row["title"], row["year"]): tmdb_id for tmdb_id, row in bundled_films().items()
    }
    keyed = {}
    for title, movie in films.items():
        if tmdb_id := by_title_year.get((title, movie.year)):
            Movie.objects.filter(pk=movie.pk).update(tmdb_id=tmdb_id)
            keyed[title] = movie
    assert len(keyed) >= 15
    return keyed


def test_evaluate_prints_graded_ndcg_for_every_stage(bundled_keys, capsys):
    call_command("evaluate", "--short-queries")
    out = capsys.readouterr().out
    evaluated = int(re.search(r"short queries: (\d+) evaluated, (\d+) skipped", out).group(1))
    assert evaluated >= 20
    for stage in STAGES:
        assert re.search(rf"^{stage}\s+[01]\.\d{{3}}$", out, re.M), stage


def test_evaluate_json_adds_graded_ndcg_to_each_stage(bundled_keys, tmp_path, capsys):
    known_item = tmp_path / "q.jsonl"
    known_item.write_text(
        json.dumps(
            {
                "id": "q1",
                "query": "shark at a summer beach",
                "answer": {"imdb_id": bundled_keys["Jaws"].imdb_id},
            }
        )
        + "\n"
    )
    call_command("evaluate", str(known_item), "--short-queries", str(SHORT_QUERIES_PATH), "--json")
    report = json.loads(capsys.readouterr().out)
    assert set(report) == set(STAGES)
    for metrics in report.values():
        assert {"ndcg@10", "recall@100", "graded_ndcg@10"} <= set(metrics)
        assert 0.0 < metrics["graded_ndcg@10"] <= 1.0


def test_a_short_query_scores_one_when_its_only_judged_film_comes_first(bundled_keys, tmp_path):
    path = tmp_path / "short.jsonl"
    jaws = bundled_keys["Jaws"]
    jaws.refresh_from_db()
    rows = [
        {
            "id": "shark",
            "query": "killer shark terrorizes a beach town",
            "judgements": [{"tmdb_id": jaws.tmdb_id, "title": "Jaws", "year": 1975, "grade": 2}],
        },
        {
            "id": "absent",
            "query": "a film the catalogue lacks",
            "judgements": [{"tmdb_id": 999999999, "title": "None", "year": 2000, "grade": 2}],
        },
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = evaluate_graded(load_graded_queries(path))
    assert (report.evaluated, report.skipped) == (1, 1)
    assert report.per_query["shark"]["reranked"] == pytest.approx(1.0)
    assert report.stages["reranked"] == pytest.approx(1.0)


def test_evaluate_needs_some_queries(db):
    with pytest.raises(CommandError, match="--short-queries"):
        call_command("evaluate")
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate", "--short-queries", "/nonexistent.jsonl")
