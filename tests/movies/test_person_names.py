"""Names a source's parser cut from sentences into a cast list ("Voices of", "Narrated by")
are not people: the Wikipedia import leaves them out, and search never reads them as a person
a query names (movies.text.reads_as_person_name)."""

import json

import pytest

from movies.importers import get_importer
from movies.models import Credit, Person
from movies.text import reads_as_person_name
from recommendations.search.catalogue import build_snapshot, catalogue_stamp
from tests.factories import CreditFactory, MovieFactory, PersonFactory

REAL = [
    "Al Pacino",
    "Robert De Niro",
    "A Martinez",  # an actor's whole name
    "Yoson An",
    "Jung Woong-in",
    "The Rolling Stones",
    "The Rock",
    "will.i.am",
    "bell hooks",
    "Lauren K. Sokolov",
]
LEFTOVERS = [
    "Voices of",
    "voices of",
    "Narrated by",
    "Music By",
    "Archive footage of",
    "and his Orchestra",
    "the life of a child from",
    "history of",
    "in post-",
    "life in",
    "various child contestants on",
    "The",
    "and",
    ".",
]


@pytest.mark.parametrize("name", REAL)
def test_a_name_reads_as_a_persons(name):
    assert reads_as_person_name(name)


@pytest.mark.parametrize("name", LEFTOVERS)
def test_the_words_of_a_sentence_do_not(name):
    assert not reads_as_person_name(name)


def test_the_wikipedia_import_leaves_the_leftovers_out(tmp_path):
    row = {
        "title": "Revolution OS",
        "year": 2001,
        "cast": ["Richard Stallman", "history of", "and Lauren K. Sokolov", "Narrated by"],
        "genres": ["Documentary"],
    }
    path = tmp_path / "movies-2000s.json"
    path.write_text(json.dumps([row]))

    result = get_importer("wikipedia").read([path])

    assert result.errors == []
    assert result.records[0].cast == ("Richard Stallman", "Lauren K. Sokolov")


def test_search_reads_no_leftover_as_a_person_the_query_names(db):
    documentary = MovieFactory(title="Revolution OS")
    CreditFactory(movie=documentary, person=PersonFactory(name="history of"), role="cast")
    CreditFactory(movie=documentary, person=PersonFactory(name="Linus Torvalds"), role="cast")

    snapshot = build_snapshot(catalogue_stamp())

    assert snapshot.person_matches("the history of a town run by a cult")[0] == []
    assert snapshot.person_matches("the one with linus torvalds")[0] == ["linus torvalds"]
    assert Person.objects.count() == 2 and Credit.objects.count() == 2  # kept, only not read
