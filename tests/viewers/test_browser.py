"""A real headless Chromium against the live server: likes change the home rows, a
"Because you liked X" row names X, before and after signing in."""

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import chromium_driver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    with chromium_driver(window_size="1400,4000") as driver:
        driver.implicitly_wait(0)
        yield driver


def _wait(driver, condition, timeout=20):
    # rows swap in as they load: an element found a moment ago may be replaced
    wait = WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(condition)


def _loaded_row(driver, kind: str):
    """The row once its lazy load has replaced the placeholder."""
    selector = f"section.home-row[data-row='{kind}']:not(.is-loading)"
    return _wait(driver, ec.presence_of_element_located((By.CSS_SELECTOR, selector)))


def _row_titles(driver) -> list[str]:
    """The titles of every row, once no row is still loading (read in one script call)."""
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "section.home-row.is-loading"))
    return driver.execute_script(
        "return [...document.querySelectorAll('section.home-row h2')]"
        ".map(h => h.textContent.trim())"
    )


def _like(driver, movie) -> None:
    card = f"section.home-row .card[data-movie-id='{movie.pk}']"  # one row holds it
    button = driver.find_element(By.CSS_SELECTOR, f"{card} .action-like")
    button.click()
    _wait(
        driver,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f"{card} .action-like").get_attribute("aria-pressed")
            == "true"
        ),
    )


def _base(live_server) -> str:
    # Chromium resolves only 127.0.0.1 (--host-resolver-rules), not "localhost".
    return live_server.url.replace("://localhost", "://127.0.0.1")


def _open_home(driver, live_server) -> None:
    driver.get(f"{_base(live_server)}/home/")
    _loaded_row(driver, "popular")


def test_likes_shape_the_home_rows_before_and_after_signing_in(
    browser, live_server, trained, catalogue, django_user_model
):
    _open_home(browser, live_server)
    before = _row_titles(browser)
    assert "Top picks for you" not in before

    for title in ["Alien", "Notting Hill", "Heat"]:
        _like(browser, catalogue[title])

    _open_home(browser, live_server)
    _loaded_row(browser, "top-picks")
    because = _loaded_row(browser, "because")
    after = _row_titles(browser)
    assert after != before
    assert "Top picks for you" in after
    assert "Because you liked Heat" in after  # the latest like comes first
    assert "Because you liked Heat" in because.text  # reasons name it too
    assert "Michael Mann" in because.text

    django_user_model.objects.create_user("erin", password="a-long-pass-phrase-9")
    browser.get(f"{_base(live_server)}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys("erin")
    browser.find_element(By.NAME, "password").send_keys("a-long-pass-phrase-9")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit].primary").click()
    _wait(browser, ec.url_to_be(f"{_base(live_server)}/home/"))
    _loaded_row(browser, "because")
    assert "Because you liked Heat" in _row_titles(browser)
    assert "erin" in browser.find_element(By.CSS_SELECTOR, ".topbar-account").text

    _like(browser, catalogue["Toy Story"])  # signed in now
    _open_home(browser, live_server)
    _loaded_row(browser, "because")
    assert "Because you liked Toy Story" in _row_titles(browser)


def test_slash_puts_the_cursor_in_the_search_box(browser, live_server, catalogue):
    _open_home(browser, live_server)
    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    assert browser.switch_to.active_element.get_attribute("id") == "topbar-q"
