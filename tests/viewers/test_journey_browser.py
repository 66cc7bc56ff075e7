"""The viewer's journey end to end, as a new visitor lives it, in a real headless Chromium
against the live server, with a real Celery worker (and beat) indexing the catalogue:

search -> like three films from the results -> like one from its film page -> mark one
"Not for me" -> the home page has "Because you liked ..." rows unlike "Popular", with no
admin action -> sign up -> everything is kept -> the disliked film is in no row, ever."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from bench.processes import wait_until
from movies.models import Credit, Movie
from tests.conftest import chromium_driver
from tests.factories import CreditFactory, GenreFactory, KeywordFactory, MovieFactory
from tests.viewers.conftest import FILMS, _person
from tests.viewers.test_browser import _base, _loaded_row, _wait
from viewers.models import Reaction

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Vote counts: romance and family films are the catalogue's most popular, so rows that
# follow a taste for heists cannot be mistaken for "Popular".
VOTES = {
    "Notting Hill": 9000,
    "Love Actually": 8800,
    "Toy Story": 8600,
    "Finding Nemo": 8400,
    "Blade Runner": 3000,
    "Aliens": 2800,
    "Alien": 2600,
    "Collateral": 900,
    "Thief": 800,
    "Heat": 700,
    "The Town": 600,
    "Inside Man": 500,
}


@pytest.fixture
def indexed_catalogue(celery_stack) -> dict[str, Movie]:
    """FILMS saved like a curator's edits: each save queues its sync to the real worker,
    which embeds the film into the test's Chroma collection."""
    celery_stack.use_broker("redis")
    celery_stack.start_worker(beat=True)
    movies = {}
    for n, (title, genres, director, keywords, synopsis) in enumerate(FILMS):
        movie = MovieFactory(title=title, synopsis=synopsis, year=1980 + n, vote_count=VOTES[title])
        movie.genres.set([GenreFactory(name=g) for g in genres])
        movie.keywords.set([KeywordFactory(name=k) for k in keywords])
        CreditFactory(movie=movie, role=Credit.Role.DIRECTOR, person=_person(director))
        movies[title] = movie
    wait_until(
        lambda: Movie.objects.filter(index_state="indexed").count() == len(movies),
        timeout=240,
        what="the catalogue indexed by the worker",
    )
    return movies


@pytest.fixture
def browser():
    with chromium_driver(window_size="1400,4000") as driver:
        driver.implicitly_wait(0)
        yield driver


def _search(driver, query: str) -> None:
    box = driver.find_element(By.ID, "id_q")
    box.clear()
    box.send_keys(query)
    _wait(driver, lambda d: d.current_url.endswith(f"/?q={query.replace(' ', '+')}"))
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results article.card"))


def _press(driver, scope: str, movie: Movie, button: str) -> None:
    """Press a card's (or the film page's) button and wait for it to show as pressed."""
    selector = f"{scope} .film-actions[data-movie-id='{movie.pk}'] .{button}"
    driver.find_element(By.CSS_SELECTOR, selector).click()
    _wait(
        driver,
        lambda d: d.find_element(By.CSS_SELECTOR, selector).get_attribute("aria-pressed") == "true",
    )


def _home_rows(driver, live_server) -> dict[str, list[int]]:
    """{row title: its films' ids} once every lazily loaded row is in."""
    driver.get(f"{_base(live_server)}/home/")
    _loaded_row(driver, "popular")
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "section.home-row.is-loading"))
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('section.home-row')].map("
        "s => [s.querySelector('h2').textContent.trim(),"
        " [...s.querySelectorAll('.card[data-movie-id]')].map(c => +c.dataset.movieId)]))"
    )


def test_a_new_visitors_journey(browser, live_server, indexed_catalogue):
    films = indexed_catalogue
    base = _base(live_server)
    browser.get(f"{base}/")
    _wait(browser, lambda d: d.execute_script("return !!window.htmx"))

    _search(browser, "heist")
    for title in ("Heat", "The Town", "Inside Man"):
        _press(browser, "#results", films[title], "action-like")
    _press(browser, "#results", films["Thief"], "action-dislike")

    _search(browser, "alien creature on a spaceship")
    link = f"#results article.card[data-movie-id='{films['Alien'].pk}'] .card-title a"
    browser.find_element(By.CSS_SELECTOR, link).click()
    _wait(browser, ec.url_to_be(f"{base}/movies/{films['Alien'].pk}/"))
    _press(browser, ".movie-info", films["Alien"], "action-like")

    rows = _home_rows(browser, live_server)
    because = {title: ids for title, ids in rows.items() if title.startswith("Because you liked")}
    assert "Because you liked Alien" in because  # the latest like first
    assert all(ids for ids in because.values())
    thief = films["Thief"].pk
    assert all(thief not in ids for ids in rows.values())
    liked = {films[t].pk for t in ("Heat", "The Town", "Inside Man", "Alien")}
    assert all(not liked & set(ids) for ids in rows.values())  # nothing already liked
    rows_before_signing_up = rows

    browser.find_element(By.LINK_TEXT, "Sign up").click()
    browser.find_element(By.NAME, "username").send_keys("gail")
    browser.find_element(By.NAME, "password1").send_keys("a-long-pass-phrase-9")
    browser.find_element(By.NAME, "password2").send_keys("a-long-pass-phrase-9")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit].primary").click()
    _wait(browser, ec.url_to_be(f"{base}/home/"))
    assert "gail" in browser.find_element(By.CSS_SELECTOR, ".topbar-account").text
    kept = Reaction.objects.filter(user__username="gail")
    assert kept.filter(value=1).count() == 4 and kept.filter(value=-1, movie_id=thief).exists()

    rows = _home_rows(browser, live_server)
    assert any(title.startswith("Because you liked") for title in rows)
    assert all(thief not in ids for ids in rows.values())
    # the film page shows what the account kept
    browser.get(f"{base}/movies/{films['Heat'].pk}/")
    pressed = ".movie-info .film-actions .action-like[aria-pressed='true']"
    assert browser.find_elements(By.CSS_SELECTOR, pressed)

    # Last, as it needs rows that answer a like at once (not today's popularity fallback):
    # the personal rows are not "Popular" under another name.
    popular = rows_before_signing_up["Popular"]
    for title, ids in rows_before_signing_up.items():
        if title.startswith("Because you liked"):
            assert ids != popular, f"{title} is the Popular row"
