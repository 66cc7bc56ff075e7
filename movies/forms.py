from django import forms

from movies.importers import FORMAT_CHOICES


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
