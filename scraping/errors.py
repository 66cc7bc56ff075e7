class ScrapeError(Exception):
    """A page that could not be scraped, with a kind (for retry decisions) and a clear message."""

    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    DISALLOWED = "disallowed_host"
    HTTP = "http_error"  # 5xx or 429: worth another try
    REFUSED = "refused"  # any other 4xx, or a bot challenge: the browser may get through
    BROWSER = "browser_error"
    NO_DATA = "no_data"
    NO_IMDB_ID = "no_imdb_id"

    RETRYABLE = frozenset({TIMEOUT, HTTP, BROWSER})

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.kind in self.RETRYABLE
