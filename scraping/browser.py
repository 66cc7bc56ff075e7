"""Headless Chromium through Selenium: one browser per process, reused across pages, started
again when it dies. Fetching only: what the page says is read by scraping.extract.

The browser's host resolver only resolves the allow-listed hosts (everything else is NOTFOUND),
so neither a redirect nor a script can make it load anything from elsewhere; the URL is also
checked before each navigation and after it (redirects).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service

from scraping.errors import ScrapeError
from scraping.politeness import allowed_hosts, ensure_allowed, url_host

CHROME_ERROR_PREFIX = "chrome-error://"


@dataclass(frozen=True)
class BrowserConfig:
    chromium: str
    chromedriver: str
    user_agent: str
    allowed_hosts: tuple[str, ...]

    @classmethod
    def from_settings(cls) -> BrowserConfig:
        return cls(
            chromium=settings.RECSYS_CHROMIUM_PATH,
            chromedriver=settings.RECSYS_CHROMEDRIVER_PATH,
            user_agent=settings.RECSYS_SCRAPE_USER_AGENT,
            allowed_hosts=tuple(allowed_hosts()),
        )

    def host_resolver_rules(self) -> str:
        excluded = []
        for host in self.allowed_hosts:
            excluded += [f"EXCLUDE {host}", f"EXCLUDE *.{host}"]
        return " , ".join(["MAP * ~NOTFOUND", *excluded])


@dataclass
class BrowserPage:
    url: str
    final_url: str
    status: int | None
    html: str


class Browser:
    def __init__(self, config: BrowserConfig) -> None:
        self.config = config
        self.user_data_dir = tempfile.mkdtemp(prefix="recsys-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = config.chromium
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-crash-reporter",
            "--disable-breakpad",
            "--no-first-run",
            "--mute-audio",
            "--blink-settings=imagesEnabled=false",
            "--window-size=1280,2000",
            "--lang=en-US",
            f"--user-agent={config.user_agent}",
            f"--user-data-dir={self.user_data_dir}",
            f"--host-resolver-rules={config.host_resolver_rules()}",
        ):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
        # The title data is in the HTML and its inline scripts: waiting for DOMContentLoaded,
        # not for every image, style sheet and ad frame, keeps a page to its HTML's time.
        options.page_load_strategy = "eager"
        try:
            self.driver = webdriver.Chrome(
                options=options, service=Service(executable_path=config.chromedriver)
            )
        except WebDriverException as error:
            shutil.rmtree(self.user_data_dir, ignore_errors=True)
            raise ScrapeError(
                ScrapeError.BROWSER, f"Chromium did not start: {error.msg}"
            ) from error
        self.pages_loaded = 0

    @property
    def session_id(self) -> str:
        return self.driver.session_id

    def is_alive(self) -> bool:
        try:
            self.driver.execute_script("return 1")
        except Exception:  # any failure to answer means the browser is gone
            return False
        return True

    def own_processes(self) -> list[int]:
        """Chromium processes started for this browser (its user data dir is unique to it)."""
        marker = f"--user-data-dir={self.user_data_dir}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if marker in (entry / "cmdline").read_bytes().split(b"\0"):
                        pids.append(int(entry.name))
        return pids

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already dead: nothing left to quit
            self.driver.quit()
        # A chromedriver that died leaves its Chromium behind: end those by their ids.
        for pid in self.own_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.user_data_dir, ignore_errors=True)

    def _blank(self) -> None:
        with contextlib.suppress(WebDriverException):
            self.driver.get("about:blank")

    def load(self, url: str, *, timeout: float) -> BrowserPage:
        ensure_allowed(url)
        self.driver.set_page_load_timeout(timeout)
        try:
            self.driver.get(url)
        except TimeoutException as error:
            self._blank()
            raise ScrapeError(
                ScrapeError.TIMEOUT, f"{url}: no page within {timeout:g} s (browser)"
            ) from error
        except WebDriverException as error:
            if "ERR_NAME_NOT_RESOLVED" not in (error.msg or ""):
                raise ScrapeError(ScrapeError.BROWSER, f"{url}: {error.msg}") from error
        final_url = self.driver.current_url
        if url_host(final_url) != url_host(url):
            ensure_allowed(final_url, redirected_from=url)
        location = self.driver.execute_script("return location.href")
        if location.startswith(CHROME_ERROR_PREFIX):
            self._blank()
            raise ScrapeError(ScrapeError.HTTP, f"{final_url}: the browser could not load it")
        status = self.driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return n ? n.responseStatus : null;"
        )
        html = self.driver.page_source
        self.pages_loaded += 1
        return BrowserPage(url=url, final_url=final_url, status=status or None, html=html)


_lock = threading.Lock()
_browser: Browser | None = None


def get_browser() -> Browser:
    """This process's browser: started on first use, started again if it died or if the
    settings it was started with changed."""
    global _browser
    config = BrowserConfig.from_settings()
    with _lock:
        if _browser is not None and (_browser.config != config or not _browser.is_alive()):
            _browser.close()
            _browser = None
        if _browser is None:
            _browser = Browser(config)
        return _browser


def close_browser() -> None:
    global _browser
    with _lock:
        if _browser is not None:
            _browser.close()
            _browser = None


def browser_fetch(url: str, *, timeout: float) -> BrowserPage:
    browser = get_browser()
    try:
        return browser.load(url, timeout=timeout)
    except ScrapeError:
        raise
    except WebDriverException as error:
        # The browser died mid-page: drop it so the next try starts a fresh one.
        close_browser()
        raise ScrapeError(ScrapeError.BROWSER, f"{url}: browser failed ({error.msg})") from error


def timed_browser_start() -> float:
    """Seconds to start a browser (for bench/scrape.py)."""
    close_browser()
    started = time.perf_counter()
    get_browser()
    return time.perf_counter() - started


atexit.register(close_browser)
