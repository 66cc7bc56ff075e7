"""Pure extraction of a film's fields from an IMDb title page (HTML in, plain data out).

Three readers, in order of robustness: the schema.org JSON-LD block, Next.js' ``__NEXT_DATA__``
JSON, then the ``data-testid`` attributes of the rendered markup. Each reader returns what it
found; ``extract_title_page`` merges them field by field and names the fields no reader found.
Nothing here fetches anything: scraping.fetch and scraping.browser do that.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml.html import HtmlElement

# The fields a title page can give, in the order curators review them.
FIELDS: tuple[str, ...] = (
    "title",
    "year",
    "kind",
    "plot",
    "genres",
    "runtime",
    "rating",
    "vote_count",
    "poster_url",
    "directors",
    "cast",
    "certificate",
)
LIST_FIELDS = frozenset({"genres", "directors", "cast"})
SOURCES: tuple[str, ...] = ("jsonld", "next_data", "testid")
# JSON-LD's datePublished is the release date in the viewer's country, which can fall in a
# later year than the original release: the page's own release year comes first for `year`.
SOURCE_ORDER: dict[str, tuple[str, ...]] = {"year": ("next_data", "testid", "jsonld")}
DEFAULT_MAX_CAST = 18  # what IMDb's "Top cast" shows

IMDB_ID_RE = re.compile(r"\b(tt\d{7,10})\b")
NAME_ID_RE = re.compile(r"/name/(nm\d{7,10})")
SERIES_TYPES = {"TVSeries", "TVMiniSeries", "tvSeries", "tvMiniSeries"}


@dataclass
class Extraction:
    """What one page yielded: merged fields, which reader gave each, and what is missing."""

    imdb_id: str | None
    fields: dict[str, Any]
    sources: dict[str, str]
    raw: dict[str, dict[str, Any]]
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imdb_id": self.imdb_id,
            **self.fields,
            "missing_fields": self.missing,
            "sources": self.sources,
        }


# --- small parsers -------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = re.sub(r"\s+", " ", html.unescape(value)).strip()
    return cleaned or None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_iso_duration(value: str | None) -> int | None:
    """``PT2H32M`` -> 152 (minutes)."""
    match = re.fullmatch(r"P(?:\d+D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", (value or "").strip())
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 60 + minutes + round(seconds / 60)


def parse_runtime_text(value: str | None) -> int | None:
    """``2h 32min``, ``2 hours 32 minutes``, ``1 hour``, ``22m``, ``22 min`` -> minutes."""
    text = (value or "").lower()
    hours = re.search(r"(\d+)\s*h", text)
    minutes = re.search(r"(\d+)\s*m(?!o)", text)
    if not hours and not minutes:
        return None
    return int(hours.group(1) if hours else 0) * 60 + int(minutes.group(1) if minutes else 0)


def parse_vote_count(value: str | None) -> int | None:
    """``2,371,641`` -> 2371641; ``2.4M`` -> 2400000; ``207`` -> 207."""
    match = re.fullmatch(r"([\d.,]+)\s*([KkMm]?)", (value or "").strip())
    if not match:
        return None
    number, suffix = match.groups()
    if suffix:
        scale = 1_000 if suffix.lower() == "k" else 1_000_000
        return round(float(number.replace(",", "")) * scale)
    return _int(number.replace(",", "").replace(".", ""))


def full_size_image(url: str | None) -> str | None:
    """IMDb serves resized posters as ``...@._V1_QL75_UX190_CR0,0,190,281_.jpg``; the original
    is the same name with the modifiers dropped (``...@._V1_.jpg``)."""
    if not url:
        return None
    return re.sub(r"\._V1_[^/]*?\.(jpe?g|png|webp)$", r"._V1_.\1", url)


def _person(name: Any, href_or_id: Any = None, character: str | None = None) -> dict | None:
    name = _text(name)
    if not name:
        return None
    match = NAME_ID_RE.search(f"/name/{href_or_id}") if href_or_id else None
    if href_or_id and not match:
        match = NAME_ID_RE.search(str(href_or_id))
    person: dict[str, Any] = {"name": name, "imdb_id": match.group(1) if match else None}
    if character is not None:
        person["character"] = character
    return person


def _dedupe_people(people: list[dict | None]) -> list[dict]:
    seen: set[str] = set()
    kept = []
    for person in people:
        if not person:
            continue
        key = person.get("imdb_id") or person["name"].lower()
        if key not in seen:
            seen.add(key)
            kept.append(person)
    return kept


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


# --- reader 1: JSON-LD ---------------------------------------------------------------------


def _jsonld_blocks(doc: HtmlElement) -> list[dict]:
    blocks = []
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("@type") in {"Movie", *SERIES_TYPES}:
                blocks.append(item)
    return blocks


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def read_jsonld(doc: HtmlElement) -> dict[str, Any]:
    blocks = _jsonld_blocks(doc)
    if not blocks:
        return {}
    data = blocks[0]  # a page of concatenated sub-pages repeats the block: the first is the title
    rating = data.get("aggregateRating") or {}
    published = str(data.get("datePublished") or "")
    return _compact(
        {
            "imdb_id": (IMDB_ID_RE.search(str(data.get("url") or "")) or [None, None])[1],
            "title": _text(data.get("name")),
            "year": _int(published[:4]) if re.match(r"\d{4}", published) else None,
            "kind": "series" if data.get("@type") in SERIES_TYPES else "film",
            "plot": _text(data.get("description")),
            "genres": [g for g in (_text(x) for x in _as_list(data.get("genre"))) if g],
            "runtime": parse_iso_duration(data.get("duration")),
            "rating": _float(rating.get("ratingValue")),
            "vote_count": _int(rating.get("ratingCount")),
            "poster_url": _text(data.get("image")),
            "directors": _dedupe_people(
                [_person(p.get("name"), p.get("url")) for p in _as_list(data.get("director"))]
            ),
            "cast": _dedupe_people(
                [_person(p.get("name"), p.get("url")) for p in _as_list(data.get("actor"))]
            ),
            "certificate": _text(data.get("contentRating")),
        }
    )


# --- reader 2: __NEXT_DATA__ ---------------------------------------------------------------


def _dig(data: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and len(data) > key else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
        if data is None:
            return None
    return data


def _next_page_props(doc: HtmlElement) -> dict:
    for script in doc.xpath('//script[@id="__NEXT_DATA__"]'):
        try:
            props = _dig(json.loads(script.text or ""), "props", "pageProps")
        except ValueError:
            continue
        if isinstance(props, dict) and props.get("aboveTheFoldData"):
            return props
    return {}


def _next_credit_name(credit: dict, character: bool = False) -> dict | None:
    name = _dig(credit, "name")
    chars = None
    if character:
        # The first character only: what the page shows, and the same from every reader.
        chars = next((_text(c.get("name")) for c in credit.get("characters") or [] if c), "")
    return _person(_dig(name, "nameText", "text"), _dig(name, "id"), chars)


def _next_directors(props: dict) -> list[dict]:
    groups = _dig(props, "mainColumnData", "directors") or []
    if not groups:
        groups = [
            g
            for g in _dig(props, "aboveTheFoldData", "principalCredits") or []
            if _dig(g, "category", "id") == "director"
        ]
    return _dedupe_people(
        [_next_credit_name(c) for g in groups for c in (g or {}).get("credits") or []]
    )


def _next_cast(props: dict) -> list[dict]:
    main = props.get("mainColumnData") or {}
    # Older pages list the top-billed stars apart (principalCast) and the rest under cast.
    principal = [c for g in main.get("principalCast") or [] for c in (g or {}).get("credits") or []]
    edges = [e.get("node") for e in _dig(main, "cast", "edges") or [] if e]
    return _dedupe_people([_next_credit_name(c, character=True) for c in principal + edges if c])


def read_next_data(doc: HtmlElement) -> dict[str, Any]:
    props = _next_page_props(doc)
    if not props:
        return {}
    top = props["aboveTheFoldData"]
    main = props.get("mainColumnData") or {}
    runtime_seconds = _dig(top, "runtime", "seconds") or _dig(main, "runtime", "seconds")
    is_series = _dig(top, "titleType", "isSeries") or _dig(top, "titleType", "canHaveEpisodes")
    genres = _dig(top, "genres", "genres") or _dig(main, "genres", "genres") or []
    return _compact(
        {
            "imdb_id": top.get("id") or props.get("tconst"),
            "title": _text(_dig(top, "titleText", "text")),
            "year": _int(_dig(top, "releaseYear", "year")),
            "kind": None if is_series is None else ("series" if is_series else "film"),
            "plot": _text(_dig(top, "plot", "plotText", "plainText")),
            "genres": [g for g in (_text(x.get("text")) for x in genres if x) if g],
            "runtime": round(runtime_seconds / 60) if runtime_seconds else None,
            "rating": _float(_dig(top, "ratingsSummary", "aggregateRating")),
            "vote_count": _int(_dig(top, "ratingsSummary", "voteCount")),
            "poster_url": _text(_dig(top, "primaryImage", "url")),
            "directors": _next_directors(props),
            "cast": _next_cast(props),
            "certificate": _text(
                _dig(top, "certificate", "rating") or _dig(main, "certificate", "rating")
            ),
        }
    )


# --- reader 3: data-testid markup ----------------------------------------------------------


TestIds = dict[str, list[HtmlElement]]


def _testid_index(doc: HtmlElement) -> TestIds:
    """Every element by its data-testid, in page order: one pass over a page of megabytes."""
    index: TestIds = {}
    for element in doc.xpath("//*[@data-testid]"):
        index.setdefault(element.get("data-testid"), []).append(element)
    return index


def _first(index: TestIds, *testids: str) -> HtmlElement | None:
    """The first element carrying the first of ``testids`` that the page has."""
    for testid in testids:
        if index.get(testid):
            return index[testid][0]
    return None


def _node_text(node: HtmlElement | None) -> str | None:
    return _text(node.text_content()) if node is not None else None


def _hero_metadata(index: TestIds) -> list[HtmlElement]:
    """The list of year / certificate / runtime chips under the title heading."""
    block = _first(index, "hero-title-block__metadata")
    if block is not None:
        return block.xpath("./li")
    heading = _first(index, "hero__pageTitle")
    return heading.xpath("following-sibling::ul[1]/li") if heading is not None else []


def _chip_text(chip: HtmlElement) -> str | None:
    link = chip.xpath(".//a")
    return _node_text(link[0] if link else chip)


def _testid_people(container: HtmlElement | None) -> list[dict]:
    if container is None:
        return []
    return _dedupe_people(
        [_person(a.text_content(), a.get("href")) for a in container.xpath(".//a[@href]")]
    )


def _principal_credit(index: TestIds, labels: set[str]) -> HtmlElement | None:
    for item in index.get("title-pc-principal-credit", []):
        label = item.xpath("./*[1]")
        if label and (_node_text(label[0]) or "").lower() in labels:
            return item
    return None


def _testid_cast(index: TestIds) -> list[dict]:
    section = _first(index, "title-cast")  # the first "Top cast" section only
    items = (
        section.xpath('.//*[@data-testid="title-cast-item"]')
        if section is not None
        else index.get("title-cast-item", [])
    )
    people = []
    for item in items:
        actor = item.xpath('.//*[@data-testid="title-cast-item__actor"]')
        if not actor:
            continue
        links = item.xpath('.//*[@data-testid="cast-item-characters-link"]')
        character = None
        if links:
            spans = links[0].xpath("./span[1]")
            character = _node_text(spans[0] if spans else links[0])
        people.append(_person(actor[0].text_content(), actor[0].get("href"), character or ""))
    return _dedupe_people(people)


def _testid_certificate(index: TestIds, chips: list[HtmlElement]) -> str | None:
    storyline = _first(index, "storyline-certificate")
    nodes = (
        storyline.xpath(".//li")
        if storyline is not None
        else [a for chip in chips for a in chip.xpath('.//a[contains(@href, "parentalguide")]')]
    )
    return _node_text(nodes[0]) if nodes else None


def _testid_genres(index: TestIds) -> list[str]:
    # The storyline lists every genre; the hero chips ("genres", or "interests" on today's
    # pages) show the first few.
    storyline = _first(index, "storyline-genres")
    if storyline is not None:
        links = storyline.xpath(".//li//a | .//li[not(a)]")
    else:
        chips = _first(index, "genres", "interests")
        links = chips.xpath(".//a") if chips is not None else []
    return [g for g in (_node_text(a) for a in links) if g]


def _testid_poster(index: TestIds) -> str | None:
    poster = _first(index, "hero-media__poster")
    # A page saved to disk points its images at local copies: only a web address is a poster.
    sources = [
        src
        for src in (poster.xpath(".//img/@src") if poster is not None else [])
        if src.startswith(("https://", "http://"))
    ]
    return full_size_image(sources[0]) if sources else None


def read_testid(doc: HtmlElement) -> dict[str, Any]:
    index = _testid_index(doc)
    title = _first(index, "hero__primary-text", "hero-title-block__title", "hero__pageTitle")
    chip_nodes = _hero_metadata(index)
    chips = [c for c in (_chip_text(chip) for chip in chip_nodes) if c]
    year = next((int(m[0]) for c in chips if (m := re.match(r"(\d{4})", c))), None)
    is_series = any(c.lower().startswith("tv series") or "mini series" in c.lower() for c in chips)
    runtime = parse_runtime_text(
        (_node_text(_first(index, "title-techspec_runtime")) or "").removeprefix("Runtime")
    )
    if runtime is None:
        runtime = next((parse_runtime_text(c) for c in chips if parse_runtime_text(c)), None)
    score = _first(index, "hero-rating-bar__aggregate-rating__score")
    rating = votes = None
    if score is not None:
        rating = _float(_node_text(score.xpath("./span[1]")[0]))
        after = score.xpath("following-sibling::div")
        votes = parse_vote_count(_node_text(after[-1])) if after else None
    directors_box = _principal_credit(index, {"director", "directors"})
    return _compact(
        {
            "title": _node_text(title),
            "year": year,
            "kind": "series" if is_series else ("film" if chips else None),
            "plot": _node_text(_first(index, "plot-xl", "plot-l", "plot")),
            "genres": _testid_genres(index),
            "runtime": runtime,
            "rating": rating,
            "vote_count": votes,
            "poster_url": _testid_poster(index),
            "directors": _testid_people(
                directors_box.xpath("./*[2]")[0] if directors_box is not None else None
            ),
            "cast": _testid_cast(index),
            "certificate": _testid_certificate(index, chip_nodes),
        }
    )


# --- merge ---------------------------------------------------------------------------------


def _names(value: list) -> set[str]:
    return {(p["name"] if isinstance(p, dict) else p).lower() for p in value}


def _is_truncated(text: str) -> bool:
    return text.endswith(("...", "…"))


def _pick(field_name: str, raw: dict[str, dict[str, Any]]) -> tuple[Any, str | None]:
    order = SOURCE_ORDER.get(field_name, SOURCES)
    found = [(raw[s][field_name], s) for s in order if raw[s].get(field_name) not in (None, [])]
    if not found:
        return None, None
    value, source = found[0]
    if field_name in LIST_FIELDS:
        # JSON-LD and the hero chips cap lists at three: a later, longer list that holds every
        # name of the first one is the complete list.
        for other, other_source in found[1:]:
            if len(other) > len(value) and _names(value) <= _names(other):
                value, source = other, other_source
    if field_name == "plot" and _is_truncated(value):
        whole = [(v, s) for v, s in found if not _is_truncated(v)]
        if whole:
            value, source = whole[0]
    return value, source


def extract_title_page(page_html: str, *, max_cast: int = DEFAULT_MAX_CAST) -> Extraction:
    """Every field the page has, which reader gave it, and the names of the missing ones."""
    doc = lxml.html.document_fromstring(page_html or "<html></html>")
    raw = {"jsonld": read_jsonld(doc), "next_data": read_next_data(doc), "testid": read_testid(doc)}
    fields: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in FIELDS:
        value, source = _pick(name, raw)
        if source is None:
            continue
        fields[name] = value[:max_cast] if name == "cast" else value
        sources[name] = source
    imdb_id = next((raw[s]["imdb_id"] for s in SOURCES if raw[s].get("imdb_id")), None)
    if imdb_id is None:
        canonical = doc.xpath('//link[@rel="canonical"]/@href')
        match = IMDB_ID_RE.search(canonical[0]) if canonical else None
        imdb_id = match.group(1) if match else None
    missing = [name for name in FIELDS if name not in fields]
    return Extraction(imdb_id=imdb_id, fields=fields, sources=sources, raw=raw, missing=missing)
