"""Catalogue text is data, never markup: script payloads in every field a viewer sees show as
text on the search results, the "why this?" panel, the film's page and the home rows, and a
"javascript:" poster address is never used. Checked in a real headless Chromium with the
Content-Security-Policy bypassed, so that escaping alone must hold (the CSP is a second wall)."""

from urllib.parse import urlencode

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from movies.models import Credit, Genre, Keyword, Movie, Person
from tests.recommendations.catalogue_fixtures import index_inline
from tests.recommendations.conftest import reset_search_caches

SCRIPT = "<script>window.__xss=1</script>"
IMG = '"><img src=x onerror="window.__xss=1">'
JS_POSTER = "javascript:window.__xss=1"

TITLE = f"Vault Heist {SCRIPT}"
ORIGINAL_TITLE = f"Le Casse {IMG}"
TAGLINE = f"{IMG} One last job."
SYNOPSIS = (
    f"A safecracker crew plans a vault heist under Marseille {SCRIPT} and the gold vanishes. "
    f"The safecracker leaves a note {IMG} in the empty vault."
)
GENRE = f"Heist {SCRIPT}"
KEYWORD = f"vault {IMG}"
DIRECTOR = f"Ann {IMG}"
ACTOR = f"Bob {SCRIPT}"
CHARACTER = f"The {IMG}"
QUERY = f"safecracker vault heist gold {SCRIPT}"


@pytest.mark.parametrize(
    ("poster_url", "expected"),
    [
        ("https://img.example/p.jpg", "https://img.example/p.jpg"),
        ("HTTP://img.example/p (1).jpg?a=1&b=2", "HTTP://img.example/p%20(1).jpg?a=1&b=2"),
        ("https://img.example/it's.jpg", "https://img.example/it%27s.jpg"),  # ends no url('...')
        ('https://img.example/a"b\\c.jpg', "https://img.example/a%22b%5Cc.jpg"),
        (JS_POSTER, ""),
        (" JavaScript:alert(1)", ""),
        ("java\nscript:alert(1)", ""),
        ("data:image/svg+xml,<svg onload=alert(1)>", ""),
        ("//img.example/p.jpg", ""),
        ("http://[::1", ""),
        ("", ""),
    ],
)
def test_poster_src_is_only_ever_an_http_address(poster_url, expected):
    assert Movie(poster_url=poster_url).poster_src == expected


@pytest.fixture
def xss_film(films) -> Movie:
    """A film with a payload in every field a viewer sees, the most popular one, indexed."""
    movie = Movie.objects.create(
        title=TITLE,
        original_title=ORIGINAL_TITLE,
        year=2003,
        synopsis=SYNOPSIS,
        tagline=TAGLINE,
        poster_url=JS_POSTER,  # no form cleans it on the way in: an import or a scrape
        popularity=10_000.0,
        vote_count=1_000_000,
    )
    movie.genres.add(Genre.objects.create(name=GENRE))
    movie.keywords.add(Keyword.objects.create(name=KEYWORD))
    Credit.objects.create(movie=movie, person=Person.objects.create(name=DIRECTOR), role="director")
    Credit.objects.create(
        movie=movie, person=Person.objects.create(name=ACTOR), role="cast", character=CHARACTER
    )
    index_inline([movie.pk])
    reset_search_caches()
    return movie


def assert_inert(driver, page: str, *, shown: list[str]) -> None:
    """Nothing ran, nothing was injected, and each payload reads as the text it is."""
    assert driver.execute_script("return window.__xss") is None, f"{page}: a payload ran"
    injected = driver.execute_script(
        """return {
            inline: [...document.scripts].filter(s => !s.src).map(s => s.outerHTML),
            handlers: [...document.querySelectorAll('[onerror]')].map(e => e.outerHTML),
            js_urls: [...document.querySelectorAll('[src], [href], [style]')]
                .flatMap(e => ['src', 'href', 'style'].map(name => e.getAttribute(name)))
                .filter(value => /javascript:/i.test(value || '')),
        }"""
    )
    assert injected == {"inline": [], "handlers": [], "js_urls": []}, f"{page}: {injected}"
    text = driver.find_element(By.TAG_NAME, "body").text
    missing = [t for t in shown if t not in text]
    assert not missing, f"{page}: not shown as text: {missing}"


@pytest.mark.slow
def test_payloads_in_every_catalogue_field_show_as_text_and_never_run(
    browser, live_server, xss_film
):
    # Escaping is what is under test: the page's CSP would stop inline script by itself.
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
    browser.set_window_size(1400, 3000)  # every lazy slot is revealed without scrolling
    wait = WebDriverWait(browser, 60)
    base = live_server.url.replace("localhost", "127.0.0.1")
    card = f"#movie-{xss_film.pk}"

    # The search results (the query carries a payload too) and the card's "why this?" panel.
    browser.get(f"{base}/?{urlencode({'q': QUERY})}")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"{card} .why--loaded"))
    panel = browser.find_element(By.CSS_SELECTOR, f"{card} .why--loaded")
    assert panel.get_attribute("data-why-source") == "grounded"
    assert not browser.find_elements(By.CSS_SELECTOR, f"{card} img.poster")  # no javascript:
    assert_inert(browser, "search results", shown=[TITLE, GENRE, SCRIPT])
    assert browser.find_element(By.ID, "id_q").get_attribute("value") == QUERY

    # The same panel as a page of its own (what the card links to without JavaScript).
    browser.get(f"{base}/movies/{xss_film.pk}/why?{urlencode({'q': QUERY})}")
    assert_inert(browser, "why page", shown=[TITLE, f"You asked: {QUERY}"])

    # The film's page: every field.
    browser.get(f"{base}/movies/{xss_film.pk}/")
    assert not browser.find_elements(By.CSS_SELECTOR, ".movie-poster img")
    every_field = [TITLE, ORIGINAL_TITLE, TAGLINE, SYNOPSIS, GENRE, KEYWORD, DIRECTOR, ACTOR]
    assert_inert(browser, "film page", shown=[*every_field, CHARACTER])

    # The home rows: the film leads "Popular"; liked, it names a row and a genre row.
    browser.get(f"{base}/home/")
    popular_card = f'[data-row="popular"] [data-movie-id="{xss_film.pk}"]'
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, popular_card))
    assert_inert(browser, "home", shown=[TITLE])
    browser.find_element(By.CSS_SELECTOR, f"{popular_card} .action-like").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"{popular_card} .action-like.is-on"))
    browser.get(f"{base}/home/")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-row="because"] .card'))
    assert_inert(
        browser, "home after a like", shown=[f"Because you liked {TITLE}", f"{GENRE} picks for you"]
    )

    # The pages a film page links to, and My list, list it as a card too.
    director = xss_film.credits.get(role="director").person
    browser.get(f"{base}/people/{director.pk}/")
    assert_inert(browser, "person page", shown=[TITLE, DIRECTOR])
    browser.get(f"{base}/keywords/{xss_film.keywords.get().pk}/")
    assert_inert(browser, "keyword page", shown=[TITLE, KEYWORD])
    browser.find_element(By.CSS_SELECTOR, f"{card} .action-list").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"{card} .action-list.is-on"))
    browser.get(f"{base}/my-list/")
    assert_inert(browser, "my list", shown=[TITLE])
