"""Plain HTTP fetch vs headless Chromium for IMDb title pages, side by side, same run.

Serves our fixture pages and (where present) the saved real pages from ../shared/data on a local
http.server, then for each page times: extraction alone, HTTP fetch + extraction, and a warm
browser's fetch + extraction (median of --repeat runs), plus one cold browser start.

    python -m bench.scrape [--repeat 5]
"""

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
os.environ["RECSYS_SCRAPE_ALLOWED_HOSTS"] = "127.0.0.1"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from scraping.browser import close_browser, get_browser, timed_browser_start  # noqa: E402
from scraping.extract import extract_title_page  # noqa: E402
from scraping.fetch import http_get  # noqa: E402
from tests.scraping.imdb_server import ImdbServer, fixture_pages  # noqa: E402


def median_ms(action, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    server = ImdbServer(pages=fixture_pages(ROOT.parent / "shared" / "data" / "imdb-pages"))
    server.start()
    timeout = settings.RECSYS_SCRAPE_TIMEOUT
    try:
        cold = timed_browser_start() * 1000
        browser = get_browser()
        print(f"browser cold start: {cold:.0f} ms (once per worker process)\n")
        header = f"{'page':<11} {'KiB':>6} {'extract':>9} {'http':>9} {'browser':>9} {'ratio':>6}"
        print(header + "  fields http / browser")
        for imdb_id, path in sorted(server.pages.items()):
            url = f"{server.base_url}/title/{imdb_id}/"
            html = path.read_text(encoding="utf-8")
            extract_ms, _ = median_ms(lambda h=html: extract_title_page(h), args.repeat)
            http_ms, by_http = median_ms(
                lambda u=url: extract_title_page(http_get(u, timeout=timeout)[1]), args.repeat
            )
            browser_ms, by_browser = median_ms(
                lambda u=url: extract_title_page(browser.load(u, timeout=timeout).html),
                args.repeat,
            )
            print(
                f"{imdb_id:<11} {len(html.encode()) / 1024:>6.0f} {extract_ms:>7.1f}ms"
                f" {http_ms:>7.1f}ms {browser_ms:>7.1f}ms {browser_ms / http_ms:>5.1f}x"
                f"  {len(by_http.fields)}/12 / {len(by_browser.fields)}/12"
            )
    finally:
        close_browser()
        server.stop()


if __name__ == "__main__":
    main()
