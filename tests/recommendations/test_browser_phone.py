"""A phone (390 px wide) in a real headless Chromium: the search page, the film page and
home fit the screen, the search box keeps its width, a poster does not fill the screen.
(One test a module: a transactional test empties the module's committed catalogue.)"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import chromium_driver, emulate_phone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _base(live_server) -> str:
    return live_server.url.replace("localhost", "127.0.0.1")


PHONE_CHECKS = """
const box = (s) => { const e = document.querySelector(s); return e && e.getBoundingClientRect(); };
return {
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  search: (box('#topbar-q') || box('#id_q')).width,
  poster: (box('.movie-poster') || {height: 0}).height,
  cardPoster: (box('#results .poster') || {height: 0}).height,
  actions: (box('.film-actions') || {width: 0}).width,
};
"""


def test_a_phone_gets_a_usable_layout(live_server, films):
    for page in ("search", "film", "home"):
        _check_phone_layout(live_server, films, page)


def _check_phone_layout(live_server, films, page: str) -> None:
    with chromium_driver(window_size="500,844") as driver:
        emulate_phone(driver)
        base = _base(live_server)
        url = {
            "search": f"{base}/?q=heist",
            "film": f"{base}/movies/{films['Heat'].pk}/",
            "home": f"{base}/home/",
        }[page]
        driver.get(url)
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".film-actions"))
        height, width = driver.execute_script("return [window.innerHeight, window.innerWidth]")
        checks = driver.execute_script(PHONE_CHECKS)

    assert width == 390
    assert checks["overflow"] <= 0, checks  # nothing wider than the screen
    assert checks["search"] > 250, checks  # the search box keeps the width of the screen
    assert 0 < checks["actions"] <= 390, checks
    if page == "film":
        assert 0 < checks["poster"] < height / 3, checks  # the story is on the first screen
    if page == "search":
        assert 0 < checks["cardPoster"] < height / 4, checks  # a result is not all poster
