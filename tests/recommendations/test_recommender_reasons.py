from recommendations.recommenders.reasons import FilmFacts, because_reason

HEAT = FilmFacts(
    title="Heat",
    genres=["Crime", "Thriller"],
    keywords=["heist", "betrayal", "los angeles"],
    directors=["Michael Mann"],
    cast=["Al Pacino", "Robert De Niro"],
)


def test_a_shared_director_is_named_with_the_shared_genres():
    pick = FilmFacts("Thief", genres=["Crime", "Drama"], directors=["Michael Mann"])
    reason = because_reason(pick, HEAT, evidence="content")
    assert reason == "Because you liked Heat: also a Michael Mann crime film"


def test_shared_cast_then_shared_keywords():
    pick = FilmFacts("The Irishman", genres=["Crime"], cast=["Robert De Niro", "Al Pacino"])
    assert because_reason(pick, HEAT, evidence="content") == (
        "Because you liked Heat: also stars Robert De Niro and Al Pacino"
    )
    pick = FilmFacts("The Town", genres=["Crime"], keywords=["boston", "heist", "betrayal"])
    assert because_reason(pick, HEAT, evidence="content") == (
        "Shares keywords heist, betrayal with Heat"
    )


def test_ratings_evidence_says_so_and_keeps_the_shared_genres():
    pick = FilmFacts("Fargo", genres=["Comedy", "Crime"])
    assert because_reason(pick, HEAT, evidence="content", co_liked=True) == (
        "Viewers who liked Heat liked this too (also crime)"
    )
    assert because_reason(pick, HEAT, evidence="content") == ("Because you liked Heat: also crime")
    assert because_reason(FilmFacts("Amélie"), HEAT, evidence="content") == (
        "Close in story and tone to Heat"
    )


def test_two_liked_films_bringing_a_pick_are_both_named_when_it_shares_a_genre_with_each():
    alien = FilmFacts("Alien", genres=["Science Fiction"], directors=["Ridley Scott"])
    pick = FilmFacts("Minority Report", genres=["Science Fiction", "Crime"])
    assert because_reason(pick, HEAT, evidence="content", also=alien) == (
        "Similar to Heat and Alien"
    )
    blade_runner = FilmFacts("Blade Runner", genres=["Science Fiction"], directors=["Ridley Scott"])
    assert because_reason(blade_runner, alien, evidence="content", also=HEAT) == (
        "Because you liked Alien: also a Ridley Scott science fiction film"  # people first
    )
    shawshank = FilmFacts("The Shawshank Redemption", genres=["Drama", "Crime"])
    assert because_reason(shawshank, HEAT, evidence="content", also=alien) == (
        "Because you liked Heat: also crime"  # nothing of Alien's: Alien is not named
    )
