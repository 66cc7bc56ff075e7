"""The true values of every page the tests serve, read off the pages by hand (see each note)."""

DARK_KNIGHT_CAST = [
    ("Christian Bale", "nm0000288", "Bruce Wayne"),
    ("Heath Ledger", "nm0005132", "Joker"),
    ("Aaron Eckhart", "nm0001173", "Harvey Dent"),
    ("Michael Caine", "nm0000323", "Alfred"),
    ("Maggie Gyllenhaal", "nm0350454", "Rachel"),
    ("Gary Oldman", "nm0000198", "Gordon"),
    ("Morgan Freeman", "nm0000151", "Lucius Fox"),
    ("Monique Gabriela Curnen", "nm1010931", "Ramirez"),
    ("Ron Dean", "nm0212939", "Wuertz"),
    ("Cillian Murphy", "nm0614165", "Scarecrow"),
    ("Chin Han", "nm1977856", "Lau"),
    ("Nestor Carbonell", "nm0004801", "Mayor"),
    ("Eric Roberts", "nm0000616", "Maroni"),
    ("Ritchie Coster", "nm0182662", "Chechen"),
    ("Anthony Michael Hall", "nm0001309", "Engel"),
    ("Keith Szarabajka", "nm0843775", "Stephens"),
    ("Colin McFarlane", "nm0568801", "Loeb"),
    ("Joshua Harto", "nm0367176", "Reese"),
]

# Real pages in ../shared/data/imdb-pages. Series have no directors; Matrix shows no
# certificate. Genres: the storyline / page props list all of them (the hero and JSON-LD stop at
# three). Matrix's JSON-LD description is cut ("where he is ..."): the page props hold it whole.
REAL = {
    "tt0468569": {
        "title": "The Dark Knight",
        "year": 2008,
        "kind": "film",
        "plot": "When the menace known as the Joker wreaks havoc and chaos on the people of "
        "Gotham, Batman must accept one of the greatest psychological and physical tests of "
        "his ability to fight injustice.",
        "genres": ["Action", "Crime", "Drama", "Thriller"],
        "runtime": 152,
        "rating": 9.0,
        "vote_count": 2371641,
        "poster_url": "https://m.media-amazon.com/images/M/"
        "MV5BMTMxNTMwODM0NF5BMl5BanBnXkFtZTcwODAyMTk2Mw@@._V1_.jpg",
        "directors": [("Christopher Nolan", "nm0634240", None)],
        "cast": DARK_KNIGHT_CAST,
        "certificate": "16",  # saved from a German locale: FSK 16
        "missing": [],
    },
    "tt0106062": {
        "title": "Matrix",
        "year": 1993,
        "kind": "series",
        "plot_starts": "Steven Matrix is one of the underworld's foremost hitmen until his luck "
        "runs out",
        "plot_ends": "old profession, but he gets the job done.",
        "genres": ["Action", "Drama", "Fantasy", "Thriller"],
        "runtime": 60,
        "rating": 7.5,
        "vote_count": 207,
        "poster_url": "https://m.media-amazon.com/images/M/MV5BYzUzOTA5ZTMtMTdlZS00MmQ5LWFmNjEt"
        "MjE5MTczN2RjNjE3XkEyXkFqcGdeQXVyNTc2ODIyMzY@._V1_.jpg",
        "cast_first": [
            ("Nick Mancuso", "nm0541576", "Steven Matrix"),
            ("Phillip Jarrett", "nm0418960", "Billy Hicks"),
            ("Carrie-Anne Moss", "nm0005251", "Liz Teel"),
            ("John Vernon", "nm0006893", "Narrator"),
        ],
        "cast_count": 18,
        "missing": ["directors", "certificate"],
    },
    "tt1486217": {
        "title": "Archer",
        "year": 2009,
        "kind": "series",
        "plot": "Covert black ops and espionage take a back seat to zany personalities and "
        "relationships between secret agents and drones.",
        "genres": ["Animation", "Action", "Comedy"],
        "runtime": 22,
        "rating": 8.7,
        "vote_count": 149827,
        "poster_url": "https://m.media-amazon.com/images/M/"
        "MV5BMTg3NTMwMzY2OF5BMl5BanBnXkFtZTgwMDcxMjQ0NDE@._V1_.jpg",
        "cast_first": [
            ("H. Jon Benjamin", "nm0071304", "Sterling Archer"),
            ("Judy Greer", "nm0339460", "Cheryl Tunt"),
            ("Amber Nash", "nm2436722", "Pam Poovey"),
            ("Chris Parnell", "nm0663177", "Cyril Figgis"),
            ("Aisha Tyler", "nm0878768", "Lana Kane"),
        ],
        "cast_count": 18,
        "certificate": "TV-MA",
        "missing": ["directors"],
    },
}

# Our authored fixtures (tests/scraping/fixtures): one reader each, one page lacking fields, one
# page that only JavaScript renders.
FIXTURES = {
    "tt9100001": {
        "source": "jsonld",
        "title": "The Cartographer's Silence",
        "year": 2019,
        "kind": "film",
        "plot_starts": "A retired mapmaker in Valparaíso",
        "genres": ["Drama", "Mystery"],
        "runtime": 118,
        "rating": 7.4,
        "vote_count": 48213,
        "poster_url": "https://m.media-amazon.com/images/M/MV5BFixtureCartographer@._V1_.jpg",
        "directors": [("Marta Oyarzún", "nm9100010", None)],
        "cast": [
            ("Lucía Ferrand", "nm9100011", None),
            ("Tomás Ibarra", "nm9100012", None),
            ("Ines Carvalho", "nm9100013", None),
        ],
        "certificate": "PG-13",
        "missing": [],
    },
    "tt9100002": {
        "source": "next_data",
        "title": "Harbour Lights",
        "year": 2021,
        "kind": "series",
        "plot_starts": "When a trawler comes home to a Cornish harbour",
        "genres": ["Crime", "Drama", "Thriller", "Mystery"],
        "runtime": 48,
        "rating": 8.1,
        "vote_count": 15702,
        "poster_url": "https://m.media-amazon.com/images/M/MV5BFixtureHarbour@._V1_.jpg",
        "directors": [("Ruth Pengelly", "nm9100021", None), ("Sam Kitto", "nm9100022", None)],
        "cast": [
            ("Morwenna Hale", "nm9100023", "Tamsin Roskilly"),
            ("Daniel Achebe", "nm9100024", "DI Kofi Mensah"),
            ("Peter Nance", "nm9100025", "Jory Roskilly"),
            ("Agnes Whitlow", "nm9100026", "Mrs. Pascoe"),
        ],
        "certificate": "TV-14",
        "missing": [],
    },
    "tt9100003": {
        "source": "testid",
        "title": "Night Ferry to Tallinn",
        "year": 2016,
        "kind": "film",
        "plot_starts": "A night-shift purser on the Helsinki\u2013Tallinn ferry",
        "genres": ["Crime", "Drama", "Thriller"],
        "runtime": 107,
        "rating": 6.9,
        "vote_count": 31000,  # the page shows "31K"
        "poster_url": "https://m.media-amazon.com/images/M/MV5BFixtureFerry@._V1_.jpg",
        "directors": [("Aino Lepik", "nm9100030", None)],
        "cast": [
            ("Kadri Tamm", "nm9100032", "Liis Kask"),
            ("Jussi Mäkelä", "nm9100033", "Captain Virtanen"),
            ("Mirjam Oja", "nm9100034", "Anu"),
        ],
        "certificate": "R",
        "missing": [],
    },
    "tt9100004": {
        "title": "Untitled Basement Tapes",
        "year": 2027,
        "kind": "film",
        "plot_starts": "A documentary assembled from cassette recordings",
        "genres": ["Documentary", "Music"],
        "cast": [("Fiona Baird", "nm9100040", None)],
        "missing": ["runtime", "rating", "vote_count", "poster_url", "directors", "certificate"],
    },
    "tt9100005": {
        "source": "testid",
        "js_only": True,
        "title": "Paper Moons",
        "year": 2012,
        "kind": "film",
        "plot_starts": "In a town where the moon is cut from paper every night",
        "genres": ["Animation", "Family"],
        "runtime": 92,
        "rating": 7.1,
        "vote_count": 9800,
        "poster_url": "https://m.media-amazon.com/images/M/MV5BFixturePaper@._V1_.jpg",
        "directors": [("Hana Okabe", "nm9100050", None)],
        "cast": [("Ren Mizuno", "nm9100051", "Sora"), ("Aiko Tan", "nm9100052", "The Cutter")],
        "certificate": "PG",
        "missing": [],
    },
}


def people(values: list[dict]) -> list[tuple]:
    return [(p["name"], p.get("imdb_id"), p.get("character") or None) for p in values]


def assert_matches(imdb_id: str, fields: dict, missing: list[str], expected: dict) -> None:
    """Every expected value is what was extracted, and the missing fields are named."""
    for name in ("title", "year", "kind", "plot", "genres", "runtime", "rating"):
        if name in expected:
            assert fields.get(name) == expected[name], (imdb_id, name, fields.get(name))
    for name in ("vote_count", "poster_url", "certificate"):
        if name in expected:
            assert fields.get(name) == expected[name], (imdb_id, name, fields.get(name))
    if "plot_starts" in expected:
        assert fields["plot"].startswith(expected["plot_starts"]), (imdb_id, fields["plot"])
    if "plot_ends" in expected:
        assert fields["plot"].endswith(expected["plot_ends"]), (imdb_id, fields["plot"])
    if "directors" in expected:
        directors = [(n, i, None) for n, i, _ in people(fields["directors"])]
        assert directors == expected["directors"], (imdb_id, directors)
    if "cast" in expected:
        assert people(fields["cast"]) == expected["cast"], (imdb_id, people(fields["cast"]))
    if "cast_first" in expected:
        cast = people(fields["cast"])
        assert cast[: len(expected["cast_first"])] == expected["cast_first"], (imdb_id, cast)
        assert len(cast) == expected["cast_count"], (imdb_id, len(cast))
    assert sorted(missing) == sorted(expected["missing"]), (imdb_id, missing)
    for name in missing:
        assert name not in fields
