"""The search form's fields, prepared once per genre list (issue 20): every form still reads
the catalogue's genres and has fields of its own."""

from django.http import QueryDict

from recommendations.forms import SearchForm


def test_a_form_offers_the_genres_it_is_given_and_refuses_others():
    drama = SearchForm(QueryDict("q=heat&genre=Drama"), genres=["Crime", "Drama"])
    western = SearchForm(QueryDict("genre=Western"), genres=["Crime", "Drama", "Western"])
    refused = SearchForm(QueryDict("genre=Western"), genres=["Crime", "Drama"])

    assert drama.is_valid() and drama.filters().genres == ("Drama",)
    assert western.is_valid() and western.filters().genres == ("Western",)
    assert not refused.is_valid() and "genre" in refused.errors
    assert [v for v, _ in western.fields["genre"].choices] == ["Crime", "Drama", "Western"]


def test_each_form_has_fields_of_its_own():
    first = SearchForm(QueryDict("q=heat"), genres=["Drama"])
    first.fields["q"].required = True
    first.fields["q"].widget.attrs["placeholder"] = "changed"
    first.fields["genre"].choices = [("Comedy", "Comedy")]

    second = SearchForm(QueryDict(""), genres=["Drama"])

    assert second.is_valid()
    assert [v for v, _ in second.fields["genre"].choices] == ["Drama"]
    assert [v for v, _ in second.fields["genre"].widget.choices] == ["Drama"]
    assert "placeholder" not in second.fields["q"].widget.attrs
    assert first.fields["q"] is not second.fields["q"]


def test_all_genres_sends_an_empty_genre_that_is_no_filter():
    form = SearchForm(QueryDict("q=heat&genre=&decade=1990"), genres=["Drama"])

    assert form.is_valid()
    filters = form.filters()
    assert filters.genres == () and (filters.year_from, filters.year_to) == (1990, 1999)
