"""The typo lookup's scans (recommendations/search/fuzzy.py): a short query against every title
and person name, as it scanned until 2026-12-06, against what it reads now (the keys whose
length and letters can reach the cutoff), in one process on the same queries, interleaved; and
the misspelled start of a title (a query with a word the catalogue does not know, that no
title or name matched) as a partial_ratio scan of every longer title against the titles whose
starts' letters can align.

    python -m bench.typo_lookup [wikipedia|tmdb] [--rounds 3] [--data-dir COPY]

Queries: those of the search bench (moods, titles, first lines of tomt-dev posts) and the first
lines of the first 300 tomt-dev posts, each normalised as search does; only those short enough
to be a title or a name (the lookup's own test) are timed, at the cutoff the lookup would use
(a query of words the catalogue knows must be nearly exact). Reports the thread's CPU time a
query and the share of keys read; last, misspelled starts of 40 long titles at each of ten
lengths (the letters' filter pays up to about 20 letters; past that the titles as long as the
query are few, and the filter reads nearly all of them). The lookups find what whole scans find
(tests/recommendations/test_fuzzy_window.py); the start of a title can find more ties, which
a whole scan's 24 best could crowd out with titles that match elsewhere than at the start.
The lookup needs names only: `--data-dir var/bench-names-wikipedia` (bench.surnames's import)
spares building the vectors.
"""

import argparse
import json
import random
import time
from pathlib import Path

from bench.catalogues import SHARED_DATA, setup_django
from bench.surnames import misspelled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalogue", nargs="?", default="wikipedia")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="a copy of the catalogue to run on")
    args = parser.parse_args()
    setup_django(args.catalogue, args.data_dir)
    from rapidfuzz import fuzz, process

    from bench.search import MOODS, queries
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.fuzzy import CANDIDATES, CUTOFF, KNOWN_WORDS_CUTOFF, could_be_a_name
    from recommendations.search.lexical import tokenize
    from recommendations.search.query import parse_query

    snapshot = get_snapshot()
    names = snapshot.names
    lists = (
        ("title", list(names.titles), names._titles_by_length),
        ("person", list(names.people), names._people_by_length),
    )
    print(f"{args.catalogue}: {len(names.titles)} titles, {len(names.people)} names")
    with (SHARED_DATA / "queries" / "tomt-dev.jsonl").open() as lines:
        firsts = [json.loads(line)["query"].strip().split("\n")[0] for line in lines][:300]
    for label, texts in (("search bench", queries(MOODS)), ("tomt-dev first lines", firsts)):
        short = [n for t in texts if could_be_a_name(n := parse_query(t).normalized)]
        whole = window = 0.0
        read = total = 0
        for _ in range(args.rounds):
            for query in short:
                known = snapshot.lexical.knows_all(tokenize(query))
                cutoff = KNOWN_WORDS_CUTOFF if known else CUTOFF
                for kind, keys, by_length in lists:
                    started = time.thread_time()
                    process.extract(
                        query, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=CANDIDATES
                    )
                    whole += time.thread_time() - started
                    started = time.thread_time()
                    names._best(kind, by_length, query, cutoff)
                    window += time.thread_time() - started
                    read += len(by_length.ratio_candidates(query, cutoff)[0])
                    total += len(keys)
        count = len(short) * args.rounds
        print(
            f"{label}: {len(short)} of {len(texts)} queries short enough; CPU ms a query, "
            f"titles and names: whole lists {whole / count * 1000:.3f}, length and letters "
            f"{window / count * 1000:.3f} ({whole / window:.1f}x); keys read {read / total:.1%}"
        )
        unknown = [q for q in short if not snapshot.lexical.knows_all(tokenize(q))]
        _time_starts_of_titles(names, unknown, args.rounds)
    print("misspelled starts of titles (one slip, bench.surnames.misspelled), by length:")
    rng = random.Random(1)
    long_titles = [t for t in names.titles if len(t) >= 40]
    for length in (5, 8, 11, 14, 17, 20, 24, 28, 32, 40):
        starts = [misspelled(t[:length]) for t in rng.sample(long_titles, 40)]
        print(f"  {length:2} letters:", end="")
        _time_starts_of_titles(names, starts, args.rounds)


def _time_starts_of_titles(names, queries: list[str], rounds: int) -> None:
    from rapidfuzz import fuzz, process

    from recommendations.search.fuzzy import PARTIAL_CANDIDATES, PARTIAL_CUTOFF

    by_length = names._titles_by_length
    whole = filtered = 0.0
    read = total = 0
    for _ in range(rounds):
        for query in queries:
            started = time.thread_time()
            longer = by_length.keys[by_length.longer_from(len(query)) :]
            hits = process.extract(
                query,
                longer,
                scorer=fuzz.partial_ratio,
                score_cutoff=PARTIAL_CUTOFF,
                limit=PARTIAL_CANDIDATES,
            )
            [h for h in hits if fuzz.partial_ratio_alignment(query, h[0]).dest_start == 0]
            whole += time.thread_time() - started
            started = time.thread_time()
            names._best_start_of_title(query)
            filtered += time.thread_time() - started
            read += len(names._titles_that_can_start_like(query))
            total += len(longer)
    count = max(len(queries) * rounds, 1)
    print(
        f"  start of a title, {len(queries)} queries: whole scan "
        f"{whole / count * 1000:.3f}, starts' letters {filtered / count * 1000:.3f} ms a query "
        f"({whole / max(filtered, 1e-9):.1f}x); titles read {read / max(total, 1):.1%}"
    )


if __name__ == "__main__":
    main()
