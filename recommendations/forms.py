"""The search form: the query and its filters, read from a GET (page and HTMX alike)."""

import copy
from functools import lru_cache

from django import forms

from movies.models import Movie
from recommendations.search.catalogue import Filters

DECADES = [(str(d), f"{d}s") for d in range(2020, 1890, -10)]
PAGE_SIZE = 20
MAX_QUERY_CHARS = 20_000


class _PreparedFields(dict):
    """A form's fields with the catalogue's genres set, made once per genre list. Django
    deep-copies a form's fields for each form (every search), choice lists included: here each
    form gets its own copy of each field and widget, as Django's copy makes them, sharing only
    the choice lists (assigning choices gives a form its own; none is changed in place)."""

    def __deepcopy__(self, memo: dict) -> dict:
        return {name: _own_copy(field) for name, field in self.items()}


def _own_copy(field: forms.Field) -> forms.Field:
    copied = copy.copy(field)
    copied.widget = copy.copy(field.widget)
    copied.widget.attrs = field.widget.attrs.copy()
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    return copied


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY_CHARS, strip=True)
    genre = forms.MultipleChoiceField(required=False, choices=[])
    kind = forms.ChoiceField(required=False, choices=[("", "Films & series"), *Movie.Kind.choices])
    decade = forms.ChoiceField(required=False, choices=[("", "Any decade"), *DECADES])
    year_from = forms.IntegerField(required=False, min_value=1870, max_value=2100)
    year_to = forms.IntegerField(required=False, min_value=1870, max_value=2100)
    offset = forms.IntegerField(required=False, min_value=0, max_value=10_000)

    def __init__(self, data=None, *, genres: list[str], **kwargs) -> None:
        if data is not None and "" in data.getlist("genre"):  # "All genres" sends genre=""
            data = data.copy()
            data.setlist("genre", [g for g in data.getlist("genre") if g])
        self.base_fields = _fields_with_genres(tuple(genres))
        super().__init__(data, **kwargs)

    def filters(self) -> Filters:
        data = self.cleaned_data
        year_from, year_to = data.get("year_from"), data.get("year_to")
        if data.get("decade"):
            year_from = year_from or int(data["decade"])
            year_to = year_to or int(data["decade"]) + 9
        return Filters(
            genres=tuple(data.get("genre") or ()),
            kind=data.get("kind") or None,
            year_from=year_from,
            year_to=year_to,
        )


@lru_cache(maxsize=4)
def _fields_with_genres(genres: tuple[str, ...]) -> _PreparedFields:
    fields = copy.deepcopy(SearchForm.base_fields)
    fields["genre"].choices = [(g, g) for g in genres]
    return _PreparedFields(fields)
