"""How search tells strong matches from loosely related ones, and what it corrects: for each
query, the films found, how many lead as "best matches", the "Did you mean" and the first three.

    python -m bench.match_quality tmdb ["a query" ...]
"""

import sys

from bench.catalogues import setup_django

QUERIES = [
    "comedy",
    "a heist gone wrong",
    "sad war movie",
    "space exploration and aliens",
    "a shark attacks swimmers at a beach town",
    "qwzx blorf",
    "avtaar",
    "the dark knight",
]


def main(name: str, queries: list[str]) -> None:
    setup_django(name)
    from recommendations.selectors import movie_search

    print(f"{'query':44}{'total':>7}{'strong':>8}  did you mean / first three")
    for query in queries:
        response = movie_search(query, top_k=3)
        first = ", ".join(r.movie.title for r in response.results)
        counts = f"{response.total:>7}{response.strong:>8}"
        print(f"{query[:43]:44}{counts}  {response.suggestion!r}; {first}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tmdb", sys.argv[2:] or QUERIES)
