"""The search form: the query and its filters, read from a GET (page and HTMX alike)."""

from django import forms

from movies.models import Movie
from recommendations.search.catalogue import Filters

DECADES = [(str(d), f"{d}s") for d in range(2020, 1890, -10)]
PAGE_SIZE = 20
MAX_QUERY_CHARS = 20_000


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY_CHARS, strip=True)
    genre = forms.MultipleChoiceField(required=False, choices=[])
    kind = forms.ChoiceField(required=False, choices=[("", "Films & series"), *Movie.Kind.choices])
    decade = forms.ChoiceField(required=False, choices=[("", "Any decade"), *DECADES])
    year_from = forms.IntegerField(required=False, min_value=1870, max_value=2100)
    year_to = forms.IntegerField(required=False, min_value=1870, max_value=2100)
    offset = forms.IntegerField(required=False, min_value=0, max_value=10_000)

    def __init__(self, data=None, *, genres: list[str], **kwargs) -> None:
        if data is not None:  # the form's "All genres" option sends genre=""
            data = data.copy()
            data.setlist("genre", [g for g in data.getlist("genre") if g])
        super().__init__(data, **kwargs)
        self.fields["genre"].choices = [(g, g) for g in genres]

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
