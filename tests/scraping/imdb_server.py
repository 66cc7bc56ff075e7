"""A local stand-in for www.imdb.com: a real http.server on a free loopback port, in a thread,
serving our authored fixture pages and the saved real pages, plus pages that misbehave."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

NOT_FOUND_PAGE = (
    b"<!DOCTYPE html><html><head><title>404 Error - IMDb</title></head>"
    b"<body><h1>404 Error</h1><p>The requested URL was not found on our server.</p></body></html>"
)


@dataclass
class ImdbServer:
    pages: dict[str, Path]
    slow_ids: dict[str, float] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # id -> 503s to answer first
    requests: list[tuple[str, str]] = field(default_factory=list)  # (Host header, path)

    def start(self) -> ImdbServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.headers.get("Host", ""), self.path))
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                # /title/<id>/ only: a saved page's relative asset links get a quick 404.
                imdb_id = parts[1] if len(parts) == 2 and parts[0] == "title" else ""
                if imdb_id in server.slow_ids:
                    time.sleep(server.slow_ids[imdb_id])
                if imdb_id in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[imdb_id].format(port=server.port))
                    self.end_headers()
                    return
                if server.failures.get(imdb_id, 0) > 0:
                    server.failures[imdb_id] -= 1
                    self._send(503, b"<html><body>Service Unavailable</body></html>")
                    return
                page = server.pages.get(imdb_id)
                if page is None:
                    self._send(404, NOT_FOUND_PAGE)
                    return
                self._send(200, page.read_bytes())

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths_requested(self, imdb_id: str) -> list[str]:
        return [path for _, path in self.requests if f"/title/{imdb_id}/" in path]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fixture_pages(shared_pages: Path | None) -> dict[str, Path]:
    pages = {p.stem.removeprefix("title_"): p for p in FIXTURES.glob("title_tt*.html")}
    if shared_pages is not None and shared_pages.is_dir():
        for path in shared_pages.glob("title_tt*_*.html"):
            pages[path.stem.split("_")[1]] = path
    return pages
