"""One vocabulary for genres, countries and languages across sources, so that "Sci-Fi"
(MovieLens), "Sci-Fi & Fantasy" (Netflix) and "Science Fiction" (TMDB) filter together."""

from collections.abc import Iterable

_GENRES: dict[str, tuple[str, ...]] = {
    # MovieLens
    "sci-fi": ("Science Fiction",),
    "children": ("Family",),
    "film-noir": ("Film Noir",),
    "(no genres listed)": (),
    # Wikipedia
    "noir": ("Film Noir",),
    "animated": ("Animation",),
    "sports": ("Sport",),
    "historical": ("History",),
    # Netflix (movies and TV shows use one vocabulary; the kind tells them apart)
    "movies": (),
    "tv shows": (),
    "dramas": ("Drama",),
    "tv dramas": ("Drama",),
    "comedies": ("Comedy",),
    "tv comedies": ("Comedy",),
    "documentaries": ("Documentary",),
    "docuseries": ("Documentary",),
    "action & adventure": ("Action", "Adventure"),
    "tv action & adventure": ("Action", "Adventure"),
    "children & family movies": ("Family",),
    "kids' tv": ("Family",),
    "romantic movies": ("Romance",),
    "romantic tv shows": ("Romance",),
    "thrillers": ("Thriller",),
    "tv thrillers": ("Thriller",),
    "horror movies": ("Horror",),
    "tv horror": ("Horror",),
    "sci-fi & fantasy": ("Science Fiction", "Fantasy"),
    "tv sci-fi & fantasy": ("Science Fiction", "Fantasy"),
    "sports movies": ("Sport",),
    "tv mysteries": ("Mystery",),
    "crime tv shows": ("Crime",),
    "music & musicals": ("Music", "Musical"),
    "anime series": ("Anime",),
    "anime features": ("Anime",),
    "independent movies": ("Independent",),
    "international movies": ("International",),
    "international tv shows": ("International",),
    "classic movies": ("Classic",),
    "cult movies": ("Cult",),
    "classic & cult tv": ("Classic", "Cult"),
    "lgbtq movies": ("LGBTQ",),
    "teen tv shows": ("Teen",),
    "reality tv": ("Reality",),
    "stand-up comedy & talk shows": ("Stand-Up Comedy", "Talk Show"),
    "science & nature tv": ("Science & Nature",),
    "british tv shows": ("British",),
    "korean tv shows": ("Korean",),
    "spanish-language tv shows": ("Spanish-Language",),
}

_COUNTRIES = {"united states of america": "United States"}

# TMDB names spoken languages in the language itself; the common ones get their English name.
LANGUAGES_BY_CODE = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "ru": "Russian",
    "zh": "Mandarin",
    "cn": "Cantonese",
    "ja": "Japanese",
    "pt": "Portuguese",
    "ar": "Arabic",
    "pl": "Polish",
    "la": "Latin",
    "hi": "Hindi",
    "hu": "Hungarian",
    "th": "Thai",
    "cs": "Czech",
    "he": "Hebrew",
    "ko": "Korean",
    "sv": "Swedish",
    "el": "Greek",
    "tr": "Turkish",
    "vi": "Vietnamese",
    "ur": "Urdu",
    "da": "Danish",
    "ro": "Romanian",
    "no": "Norwegian",
    "fa": "Persian",
    "nl": "Dutch",
    "uk": "Ukrainian",
    "sw": "Swahili",
    "yi": "Yiddish",
    "af": "Afrikaans",
    "gd": "Gaelic",
    "ga": "Irish",
    "sr": "Serbian",
    "is": "Icelandic",
    "bo": "Tibetan",
    "ta": "Tamil",
    "pa": "Punjabi",
    "sq": "Albanian",
    "hr": "Croatian",
    "fi": "Finnish",
    "bg": "Bulgarian",
    "id": "Indonesian",
    "te": "Telugu",
    "ml": "Malayalam",
}


def genre_names(labels: Iterable[str]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for label in labels:
        label = label.strip()
        if not label:
            continue
        for name in _GENRES.get(label.lower(), (label,)):
            names.setdefault(name, None)
    return tuple(names)


def country_names(names: Iterable[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if name:
            found.setdefault(_COUNTRIES.get(name.lower(), name), None)
    return tuple(found)


def language_name(code: str, native_name: str) -> str:
    """'fr', 'Français' -> 'French'; an unknown code keeps the native name (or the code)."""
    if code == "xx":  # TMDB's "No Language"
        return ""
    return LANGUAGES_BY_CODE.get(code) or native_name.strip() or code
