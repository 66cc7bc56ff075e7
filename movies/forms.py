import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from movies.importers import FORMAT_CHOICES
from movies.models import Movie


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class MovieImportForm(forms.Form):
    format = forms.ChoiceField(choices=FORMAT_CHOICES)
    files = MultipleFileField(
        help_text="One or more files of that format. MovieLens: movies.csv and links.csv "
        "together; Wikipedia: any number of movies-<decade>s.json files."
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label="Skip invalid rows",
        help_text="Import the valid rows and list the invalid ones. Unticked, one invalid "
        "row stops the whole import and nothing is written.",
    )


class DecadeForm(forms.Form):
    """The admin's decade filter value (?decade=1990)."""

    decade = forms.IntegerField(min_value=1000, max_value=9990)


# --- The Movie admin's IMDb id field: accepts a pasted IMDb URL ---------------------------

IMDB_ID_RE = re.compile(r"^tt\d{7,10}$")
TITLE_PATH_RE = re.compile(r"/title/(tt\d{7,10})(?:/|$)")


def normalize_imdb_id(value: str | None) -> str | None:
    """``tt0468569``, ``https://www.imdb.com/title/tt0468569/?ref_=x`` or ``imdb.com/title/
    tt0468569/plotsummary`` -> ``tt0468569``; blank -> None; anything else -> ValidationError."""
    text = (value or "").strip()
    if not text:
        return None
    if IMDB_ID_RE.match(text):
        return text
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    match = TITLE_PATH_RE.search(parts.path)
    if match and (host == "imdb.com" or host.endswith(".imdb.com")):
        return match.group(1)
    raise ValidationError(
        "“%(value)s” is not an IMDb id or title URL (expected tt1234567 or "
        "https://www.imdb.com/title/tt1234567/).",
        code="invalid_imdb_id",
        params={"value": text[:200]},
    )


class ImdbIdField(forms.CharField):
    """A CharField that turns a pasted IMDb URL into the bare id before length checks run."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "IMDb id")
        kwargs.setdefault("help_text", "tt1234567, or paste the film's IMDb URL.")
        kwargs["max_length"] = None
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_imdb_id(super().to_python(value))


class MovieImdbForm(forms.ModelForm):
    imdb_id = ImdbIdField()

    class Meta:
        model = Movie
        fields = ["imdb_id"]  # ModelAdmin passes its own field list; this form adds the id field
