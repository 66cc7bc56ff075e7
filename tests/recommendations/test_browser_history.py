"""The back button in a real headless Chromium: the query comes back into the search box,
whether htmx restores its kept page or the browser loads the URL again.
(One test a module: a transactional test empties the module's committed catalogue.)"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _base(live_server) -> str:
    return live_server.url.replace("localhost", "127.0.0.1")


def _titles(driver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#results .card-title a")]


def _type(driver, wait, query: str) -> list[str]:
    box = driver.find_element(By.ID, "id_q")
    box.clear()
    box.send_keys(query)
    wait.until(lambda d: d.current_url.endswith("/?q=" + query.replace(" ", "+")))
    wait.until(lambda d: _titles(d) and d.execute_script("return !htmx.find('.htmx-request')"))
    return _titles(driver)


def _box(driver) -> str:
    return driver.find_element(By.ID, "id_q").get_attribute("value")


def test_back_brings_the_query_back_into_the_search_box(browser, live_server, films):
    wait = WebDriverWait(browser, 60)
    browser.get(f"{_base(live_server)}/")
    wait.until(lambda d: d.execute_script("return !!window.htmx"))

    sharks = _type(browser, wait, "shark")
    _type(browser, wait, "astronaut stranded on mars")
    browser.back()  # htmx restores the page it kept for /?q=shark
    wait.until(lambda d: d.current_url.endswith("/?q=shark"))
    wait.until(lambda d: _box(d) == "shark")
    assert _titles(browser) == sharks

    # to a film page and back: the whole page for /?q=shark, its box filled in
    browser.find_element(By.CSS_SELECTOR, "#results .card-title a").click()
    wait.until(lambda d: "/movies/" in d.current_url)
    browser.back()
    wait.until(lambda d: d.current_url.endswith("/?q=shark"))
    wait.until(lambda d: _box(d) == "shark" and _titles(d) == sharks)
