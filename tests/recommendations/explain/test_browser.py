"""In headless Chromium: the result list arrives whole with every "why this?" panel still
loading; panels below the fold load only when scrolled into view, card by card. Runs against
the real search page over films indexed into Chroma by the indexing services."""

import time
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from recommendations.indexing import services
from tests.factories import GenreFactory, KeywordFactory, MovieFactory
from tests.recommendations.conftest import reset_search_caches

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

CARDS = 14
QUERY = "a crew of thieves plans one last job while a detective closes in"
PANELS = """return Array.from(document.querySelectorAll('[data-why-movie]')).map(el => {
  const r = el.getBoundingClientRect();
  return {movie: el.dataset.whyMovie, loaded: el.classList.contains('why--loaded'),
          text: el.textContent, visible: r.top < window.innerHeight && r.bottom >= 0};
});"""
REQUESTS = """const nav = performance.getEntriesByType('navigation')[0];
return {listArrived: nav.responseEnd, panels: performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/why?'))
  .map(e => ({movie: e.name.split('/movies/')[1].split('/')[0], start: e.startTime}))};"""


def make_films() -> list[str]:
    crime = GenreFactory(name="Crime")
    heist = KeywordFactory(name="heist")
    ids = []
    for i in range(CARDS):
        movie = MovieFactory(
            title=f"Last Job {i}",
            synopsis=(
                f"Thief number {i} gathers an old crew in city {i} for one final robbery. "
                f"Detective {i} follows the trail of stolen car {i} across the harbour."
            ),
        )
        movie.genres.add(crime)
        movie.keywords.add(heist)
        ids.append(str(movie.pk))
    return ids


def wait_until_loaded(driver, movies: set[str]) -> list[dict]:
    def loaded(d):
        panels = d.execute_script(PANELS)
        done = {p["movie"] for p in panels if p["loaded"]}
        return panels if movies <= done else False

    return WebDriverWait(driver, 60, poll_frequency=0.1).until(loaded)


@pytest.fixture
def phone_window(chromium):
    """One card per row, so cards come into view one by one; the shared browser is restored."""
    chromium.set_window_size(420, 900)
    yield chromium
    chromium.set_window_size(1024, 768)


@pytest.mark.usefixtures("redis_cache", "chroma_dir", "phone_window")
def test_panels_load_after_the_list_card_by_card_as_it_scrolls(live_server, chromium, run_inline):
    films = make_films()
    run_inline(services.index_sync)
    reset_search_caches()
    # Chromium resolves no name but 127.0.0.1 (--host-resolver-rules), live_server says localhost.
    base = live_server.url.replace("://localhost", "://127.0.0.1")
    url = f"{base}/?{urllib.parse.urlencode({'q': QUERY})}"

    # The list's HTML holds every card, and no explanation: it does not wait for them.
    with urllib.request.urlopen(url) as response:
        html = response.read().decode()
    assert html.count('class="why why--loading"') == CARDS
    assert "why--loaded" not in html

    chromium.get(url)
    panels = chromium.execute_script(PANELS)
    order = [p["movie"] for p in panels]  # the search's ranking
    assert sorted(order) == sorted(films)
    seen = {p["movie"] for p in panels if p["visible"]}
    assert len(seen) <= 1, "the window should show at most the first card's panel"
    panels = wait_until_loaded(chromium, seen)
    time.sleep(1.0)  # time enough for a wrongly eager panel to load too
    panels = chromium.execute_script(PANELS)
    assert {p["movie"] for p in panels if p["loaded"]} == seen
    requested = [r["movie"] for r in chromium.execute_script(REQUESTS)["panels"]]
    assert sorted(requested) == sorted(seen), "panels below the fold must not be fetched"

    # Scroll down a card's height at a time: each step loads what came into view, no more.
    steps = []
    while len(seen) < CARDS:
        chromium.execute_script("window.scrollBy(0, 300)")
        visible = {p["movie"] for p in chromium.execute_script(PANELS) if p["visible"]}
        new = visible - seen
        seen |= visible
        panels = wait_until_loaded(chromium, seen)
        loaded = {p["movie"] for p in panels if p["loaded"]}
        assert loaded == seen, f"loaded ahead of scrolling: {sorted(loaded - seen)}"
        steps.append(sorted(new, key=order.index))
    assert [m for step in steps for m in step] == order[len(order) - sum(map(len, steps)) :]
    assert max(len(step) for step in steps) == 1, f"not card by card: {steps}"

    requests = chromium.execute_script(REQUESTS)
    assert sorted(r["movie"] for r in requests["panels"]) == sorted(films)  # each fetched once
    assert all(r["start"] >= requests["listArrived"] for r in requests["panels"])
    for panel in chromium.execute_script(PANELS):
        assert f"Thief number {films.index(panel['movie'])} gathers" in panel["text"] or (
            f"Detective {films.index(panel['movie'])} follows" in panel["text"]
        )
