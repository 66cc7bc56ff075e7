"""Plain HTTP fetch vs headless Chromium for IMDb title pages, side by side, same run.

Serves the saved real IMDb pages of ../shared/data/imdb-pages on a local http.server (a few
lines here: bench never imports tests/, whose IMDb stand-in also serves authored fixtures and
misbehaving pages), then for each page times: extraction alone, HTTP fetch + extraction, and a warm
browser's fetch + extraction (median of --repeat runs), plus one cold browser start.

    python -m bench.scrape [--repeat 5]
"""

import argparse
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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

SAVED_PAGES = ROOT.parent / "shared" / "data" / "imdb-pages"


def saved_pages() -> dict[str, Path]:
    """{imdb id: the saved page}, from files named title_<imdb id>_<year saved>.html."""
    return {p.stem.split("_")[1]: p for p in SAVED_PAGES.glob("title_tt*_*.html")}


def serve(pages: dict[str, Path]) -> ThreadingHTTPServer:
    """/title/<imdb id>/ answers that page; anything else a 404. Runs in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            page = pages.get(parts[1]) if len(parts) == 2 and parts[0] == "title" else None
            body = page.read_bytes() if page else b"not found"
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
    pages = saved_pages()
    if not pages:
        raise SystemExit(f"no saved pages in {SAVED_PAGES}")
    server = serve(pages)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    timeout = settings.RECSYS_SCRAPE_TIMEOUT
    try:
        cold = timed_browser_start() * 1000
        browser = get_browser()
        print(f"browser cold start: {cold:.0f} ms (once per worker process)\n")
        header = f"{'page':<11} {'KiB':>6} {'extract':>9} {'http':>9} {'browser':>9} {'ratio':>6}"
        print(header + "  fields http / browser")
        for imdb_id, path in sorted(pages.items()):
            url = f"{base_url}/title/{imdb_id}/"
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
        server.shutdown()


if __name__ == "__main__":
    main()
