"""The search page in a real headless Chromium against a live server."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def card_titles(driver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#results .card-title a")]


def test_live_search_replaces_results_in_place_and_the_url_can_be_reloaded(
    browser, live_server, films
):
    wait = WebDriverWait(browser, 60)
    base = live_server.url.replace("localhost", "127.0.0.1")
    browser.get(f"{base}/")
    wait.until(lambda d: d.execute_script("return !!window.htmx"))
    browser.execute_script("window.__sameDocument = 'yes'")

    browser.find_element(By.ID, "id_q").send_keys("astronaut stranded on mars")
    wait.until(lambda d: card_titles(d)[:1] == ["The Martian"])
    assert browser.execute_script("return window.__sameDocument") == "yes"  # no page load
    wait.until(lambda d: d.current_url.endswith("/?q=astronaut+stranded+on+mars"))
    found = card_titles(browser)

    # "More results" appends the next page, still without a page load.
    before = len(found)
    browser.find_element(By.CSS_SELECTOR, "#results .more").click()
    wait.until(lambda d: len(card_titles(d)) > before)
    assert browser.execute_script("return window.__sameDocument") == "yes"
    assert card_titles(browser)[:before] == found

    browser.refresh()
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.execute_script("return window.__sameDocument") is None  # a real reload
    assert card_titles(browser) == found
    assert browser.find_element(By.ID, "id_q").get_attribute("value") == (
        "astronaut stranded on mars"
    )
