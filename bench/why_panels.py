"""CPU per "why this?" panel beside the results partial that shows it, in one process through
Django's test client, over distinct tomt-dev first lines.

    .venv/bin/python -m bench.catalogues tmdb        # once, cached under var/bench/
    .venv/bin/python -m bench.why_panels [tmdb] [--queries 300] [--panels 5]

Each query's results partial is asked, then the "why" panels of its first --panels results (a
desktop shows four or five best matches, and each loads its panel when revealed), then the same
panels again. A panel is counted in one of three rows: a film explained for the first time
(its sentence vectors are encoded and kept in the vector store, the lazy path), a film
explained before for another query (its sentence vectors read back), and the same panel asked
again (the explanation cache). The first row is split into the encode, the vector store's write
and its read. The catalogue is copied first (the first explanations write to it), so every run
starts with no sentence vector kept. Figures: docs/benchmarks.md, "The "why" panels beside the
search".
"""

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.catalogues import copy_catalogue, setup_django
from bench.cpu_per_search import StageClock, tomt_first_lines

WHY_LINK = re.compile(r'hx-get="(/movies/(\d+)/why[^"]*)"')
ROWS = (
    "results partial",
    "panel, a film's first explanation",
    "panel, a film explained before",
    "panel asked again (cached)",
)

# (row, module, attribute): the first explanation's parts, timed by wrapping them here only
# (StageClock, as bench.cpu_per_search times a search's stages)
PARTS = (
    ("  encode the sentences", "recommendations.explain.selectors", "encode_queries"),
    ("  keep them (vector store write)", "recommendations.vector_store", "sentence_vectors_keep"),
    ("  read kept ones (vector store read)", "recommendations.vector_store", "sentence_vectors_of"),
)


def main(name: str, queries: int, panels: int) -> None:
    os.environ.setdefault("RECSYS_RATELIMIT_PER_MINUTE", str(10**9))
    os.environ.setdefault("RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE", str(10**9))
    directory = Path(tempfile.mkdtemp(prefix=f"why-panels-{name}-"))
    copy_catalogue(name, directory)
    setup_django(name, directory)
    from django.test import Client

    from recsys_site.warmup import warm_up

    warm_up()
    clock = StageClock()
    clock.install(PARTS)
    parts = clock.cpu  # ms per part, summed over the run
    client = Client(REMOTE_ADDR=f"127.{os.getpid() % 250}.{int(time.time()) % 250}.2")

    def cpu_ms(url: str, **params) -> float:
        started = time.process_time()
        response = client.get(url, params, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, (url, response.status_code)
        return (time.process_time() - started) * 1000

    rows: dict[str, list[float]] = {row: [] for row in ROWS}
    explained: set[int] = set()
    first_parts: dict[str, float] = defaultdict(float)
    for query in tomt_first_lines(queries):
        started = time.process_time()
        response = client.get("/", {"q": query}, HTTP_HX_REQUEST="true")
        rows["results partial"].append((time.process_time() - started) * 1000)
        links = [
            (url.replace("&amp;", "&"), int(movie_id))
            for url, movie_id in WHY_LINK.findall(response.content.decode())[:panels]
        ]
        for url, movie_id in links:
            before = dict(parts)
            spent = cpu_ms(url)
            if movie_id in explained:
                rows["panel, a film explained before"].append(spent)
            else:
                rows["panel, a film's first explanation"].append(spent)
                for row in parts:
                    first_parts[row] += parts[row] - before.get(row, 0.0)
            explained.add(movie_id)
        for url, _ in links:
            rows["panel asked again (cached)"].append(cpu_ms(url))

    first = len(rows["panel, a film's first explanation"])
    print(f"catalogue: {name}; {queries} queries, up to {panels} panels each")
    print(f"{'CPU ms':44}{'mean':>8}{'p50':>8}{'count':>8}")
    for row, values in rows.items():
        if not values:
            continue
        mean, median = statistics.mean(values), statistics.median(values)
        print(f"{row:44}{mean:8.2f}{median:8.2f}{len(values):8}")
        if row == "panel, a film's first explanation" and first:
            for part, _, _ in PARTS:
                print(f"{part:44}{first_parts[part] / first:8.2f}")
    shown = sum(len(v) for k, v in rows.items() if k.startswith("panel,")) / queries
    print(f"panels a search: {shown:.1f}")
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalogue", nargs="?", default="tmdb")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--panels", type=int, default=5)
    args = parser.parse_args()
    main(args.catalogue, args.queries, args.panels)
