"""Error text a curator can read: "imdb.com could not be reached (3 tries)" for the raw
"[http_error] https://www.imdb.com/title/tt0068646/: [Errno -2] Name or service not known
(after 3 tries)". The raw text stays available, folded away, for whoever debugs it."""

import re
from urllib.parse import urlsplit

_TAGGED = re.compile(r"^\[(?P<kind>[a-z_]+)\]\s*(?P<rest>.*)$", re.S)
_URL = re.compile(r"(?P<url>https?://[^\s:]+(?::\d+)?[^\s]*?):\s")
_TRIES = re.compile(r"\(after (?P<n>\d+) tries\)")
_HTTP_STATUS = re.compile(r"HTTP (?P<status>\d{3})")
_UNREACHABLE = re.compile(
    r"Errno|Name or service not known|ConnectError|Connection refused|refused|unreachable|"
    r"getaddrinfo|Temporary failure in name resolution",
    re.I,
)

# What each scrape error kind (scraping.errors.ScrapeError) means, with {host} filled in.
_KINDS = {
    "not_found": "{host} has no such title (HTTP 404)",
    "timeout": "{host} did not answer in time",
    "disallowed_host": "the page led outside the sites the scraper may visit",
    "refused": "{host} refused the request (a bot check or HTTP 4xx)",
    "browser_error": "the headless browser could not load the page from {host}",
    "no_data": "the page from {host} carried no film data",
    "no_imdb_id": "the film has no valid IMDb id",
}


def _host(text: str) -> str:
    match = _URL.search(text)
    if not match:
        return "the site"
    host = urlsplit(match["url"]).hostname or "the site"
    return host.removeprefix("www.")


def error_summary(text: str) -> str:
    """One plain sentence for an error string recorded by a job or a scrape."""
    text = (text or "").strip()
    if not text:
        return ""
    tries = _TRIES.search(text)
    suffix = f" ({tries['n']} tries)" if tries else ""
    tagged = _TAGGED.match(text)
    if tagged:
        kind, rest = tagged["kind"], tagged["rest"]
        host = _host(rest)
        if kind == "http_error":
            status = _HTTP_STATUS.search(rest)
            if status and not _UNREACHABLE.search(rest):
                return f"{host} answered with an error (HTTP {status['status']}){suffix}"
            return f"{host} could not be reached{suffix}"
        if kind in _KINDS:
            return _KINDS[kind].format(host=host) + suffix
    if text.startswith("OperationalError"):
        return "the database was busy or could not be reached"
    if _UNREACHABLE.search(text):
        return f"{_host(text + ' ')} could not be reached{suffix}"
    first = text.splitlines()[0]
    return first if len(first) <= 140 else first[:139] + "…"


def error_display(text: str) -> dict:
    """{"summary": plain sentence, "detail": the raw text when it says more}."""
    summary = error_summary(text)
    return {"summary": summary, "detail": text if text.strip() != summary else ""}
