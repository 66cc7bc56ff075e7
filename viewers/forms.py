"""Query parameters of the viewer pages, parsed by forms: a bad value is a 400 that says what
is wrong, never a crash (int() of "²", an id past the database's integer range)."""

from django import forms

# The largest value a database id column holds (SQLite INTEGER, PostgreSQL bigint).
MAX_DB_ID = 2**63 - 1


class HomeRowForm(forms.Form):
    film = forms.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)
    genre = forms.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)
    decade = forms.IntegerField(required=False, min_value=0, max_value=9990)
    row = forms.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)

    def error_text(self) -> str:
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in self.errors.items())
