"""Screenshots of the viewer's pages, as a new visitor sees them, at 1400 px and 390 px wide.

    python docs/screenshots/take.py --base-url http://127.0.0.1:8000 --out docs/screenshots

Needs a running site (`make run`) with the bundled catalogue, Debian's Chromium and
chromedriver. Each width is a new anonymous visitor who, through the pages themselves:
opens home (first visit), searches, likes the first three results and puts the next two on
My list, then opens home again, the first result's film page and My list, and last searches
for a misspelled title. Writes <page>-<width>.png: home-first-visit, search, home-after-likes,
film, my-list, search-title.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
WIDTHS = {1400: 900, 390: 844}  # width: the screen's height
MAX_HEIGHT = 6000  # a full page is cut here
TITLE_QUERY = "jurasic park"
# Parts still loading where the screen shows them (a lazy part off screen never loads).
BUSY_ON_SCREEN = """
return [...document.querySelectorAll('.is-loading, .why--loading, .htmx-request')].some(e => {
  const r = e.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
});
"""


def _driver(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}", "--window-size=1400,900"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    return driver


def _screen(driver: webdriver.Chrome, width: int, height: int) -> None:
    # A window is at least 500 px wide: a phone's width is emulated, as devtools does.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _wait(driver, condition, timeout: float = 60):
    wait = WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(condition)


def _settle(driver, timeout: float = 30) -> None:
    """Scroll through the page so every lazy part (home rows, "why this?") loads, then wait
    until none is loading."""
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    time.sleep(0.5)
    driver.execute_script("window.scrollTo(0, 0)")
    try:
        _wait(driver, lambda d: not d.execute_script(BUSY_ON_SCREEN), timeout)
    except TimeoutException:
        print("  (still loading after the wait; taken as it is)", file=sys.stderr)
    time.sleep(0.3)


def _shot(
    driver, out: Path, name: str, width: int, *, full_page: bool, max_height: int = MAX_HEIGHT
) -> None:
    _settle(driver)
    # the pointer off the cards: a hovered card is drawn scaled up
    ActionChains(driver).move_to_element(driver.find_element(By.CLASS_NAME, "brand")).perform()
    screen_height = WIDTHS[width]
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        _screen(driver, width, min(max(height, screen_height), max_height))
        time.sleep(0.5)
        _settle(driver)
    path = out / f"{name}-{width}.png"
    driver.save_screenshot(str(path))
    _screen(driver, width, screen_height)
    print(f"  {path}")


def _press(driver, card, button: str) -> None:
    movie_id = card.get_attribute("data-movie-id")
    selector = f"#results .film-actions[data-movie-id='{movie_id}'] .{button}"
    driver.find_element(By.CSS_SELECTOR, selector).click()
    _wait(
        driver,
        lambda d: d.find_element(By.CSS_SELECTOR, selector).get_attribute("aria-pressed") == "true",
    )


def visit(driver, base: str, out: Path, width: int, query: str) -> None:
    _screen(driver, width, WIDTHS[width])
    driver.get(f"{base}/home/")
    _shot(driver, out, "home-first-visit", width, full_page=True)

    driver.get(f"{base}/")
    _wait(driver, lambda d: d.execute_script("return !!window.htmx"))
    box = driver.find_element(By.ID, "id_q")
    box.send_keys(query)
    _wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results article.card")) >= 5)
    _settle(driver)
    cards = driver.find_elements(By.CSS_SELECTOR, "#results article.card")[:5]
    for card in cards[:3]:
        _press(driver, card, "action-like")
    for card in cards[3:5]:
        _press(driver, card, "action-list")
    first_film = cards[0].find_element(By.CSS_SELECTOR, ".card-title a").get_attribute("href")
    # the first results: a whole page of twenty cards with their panels is very long
    _shot(driver, out, "search", width, full_page=True, max_height=2 * WIDTHS[width] + 400)

    driver.get(f"{base}/home/")
    _shot(driver, out, "home-after-likes", width, full_page=True)
    driver.get(first_film)
    _shot(driver, out, "film", width, full_page=True)
    driver.get(f"{base}/my-list/")
    _shot(driver, out, "my-list", width, full_page=True)

    # A misspelled title: "Did you mean", the film, then the films most like it
    driver.get(f"{base}/?{urlencode({'q': TITLE_QUERY})}")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".group-heading"))
    _shot(driver, out, "search-title", width, full_page=True, max_height=2 * WIDTHS[width] + 400)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--query", default="gangster family crime saga", help="what to search")
    parser.add_argument("--widths", default="1400,390", help="comma list: 1400 and/or 390")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/").replace("://localhost", "://127.0.0.1")
    for width in (int(w) for w in args.widths.split(",")):
        if width not in WIDTHS:
            parser.error(f"width {width}: one of {sorted(WIDTHS)}")
        print(f"{width} px:")
        profile = tempfile.mkdtemp(prefix="screenshots-")  # a new visitor each time
        driver = _driver(profile)
        try:
            visit(driver, base, args.out, width, args.query)
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
