import pytest

from recommendations.search.query import parse_query, parse_years, split_chunks


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("heist film from the 90s", (1990, 1999)),
        ("2000s romcom", (2000, 2009)),
        ("a '80s slasher", (1980, 1989)),
        ("westerns from the 1960s", (1960, 1969)),
        ("made 1994-1997", (1994, 1997)),
        ("between 2005 and 2001", (2001, 2005)),
        ("war films before 1960", (None, 1959)),
        ("animated after 2010", (2011, None)),
        ("a shark eats swimmers", (None, None)),
    ],
)
def test_parse_years_reads_decades_ranges_and_bounds(text, years):
    assert parse_years(text) == years


def test_long_queries_are_split_into_chunks_and_nothing_is_dropped():
    words = [f"w{i}" for i in range(1000)]
    chunks = split_chunks(" ".join(words), words_per_chunk=160, max_chunks=10)
    assert len(chunks) == 7
    assert " ".join(chunks).split() == words


def test_parse_query_normalizes_for_title_lookup_and_keeps_quoted_titles():
    parsed = parse_query("  The Matrix  ")
    assert parsed.normalized == "matrix"
    assert parse_query('something like "Die Hard" but on a boat').quoted == ("die hard",)
