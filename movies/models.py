"""The catalogue: the source of truth that every index is built from."""

from urllib.parse import quote, urlsplit

from django.db import models
from django.db.models.functions import Lower

# What quote() leaves of a poster URL: its reserved characters and %-escapes; not ' " \ or
# white space, which could end a quoted CSS url('...').
_URL_SAFE = ":/?#[]@!$&()*+,;=%~"


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Genre(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Keyword(models.Model):
    name = models.CharField(max_length=128, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(TimeStampedModel):
    name = models.CharField(max_length=255, db_index=True)
    imdb_id = models.CharField(max_length=16, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


class Movie(TimeStampedModel):
    class Kind(models.TextChoices):
        FILM = "film", "Film"
        SERIES = "series", "Series"

    class IndexState(models.TextChoices):
        PENDING = "pending", "Pending"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=255)
    original_title = models.CharField(max_length=255, blank=True)
    # Lower-cased, accent- and punctuation-free title: how sources without ids are matched.
    normalized_title = models.CharField(max_length=255, editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FILM, db_index=True)
    synopsis = models.TextField(blank=True)
    tagline = models.CharField(max_length=500, blank=True)
    runtime = models.PositiveSmallIntegerField("runtime (minutes)", null=True, blank=True)
    certificate = models.CharField(max_length=16, blank=True)
    countries = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    popularity = models.FloatField(null=True, blank=True)
    vote_average = models.FloatField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(null=True, blank=True)

    imdb_id = models.CharField("IMDb id", max_length=16, unique=True, null=True, blank=True)
    tmdb_id = models.PositiveIntegerField("TMDB id", unique=True, null=True, blank=True)
    movielens_id = models.PositiveIntegerField("MovieLens id", unique=True, null=True, blank=True)
    netflix_id = models.CharField("Netflix id", max_length=16, unique=True, null=True, blank=True)
    wikipedia_slug = models.CharField(max_length=255, unique=True, null=True, blank=True)

    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    keywords = models.ManyToManyField(Keyword, related_name="movies", blank=True)
    people = models.ManyToManyField(Person, through="Credit", related_name="movies", blank=True)

    # What the vector index holds for this film (kept by recommendations.indexing).
    index_state = models.CharField(
        max_length=8, choices=IndexState.choices, default=IndexState.PENDING, db_index=True
    )
    index_error = models.TextField(blank=True)
    indexed_hash = models.CharField(max_length=64, blank=True)
    indexed_model = models.CharField(max_length=128, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "year"]
        indexes = [
            models.Index(fields=["normalized_title", "year"]),
            models.Index(Lower("title"), name="movie_title_lower"),
            models.Index(fields=["-popularity"]),
            # MAX() of these is the catalogue's version stamp, read by search every 2 s
            models.Index(fields=["updated_at"], name="movie_updated_at"),
            models.Index(fields=["indexed_at"], name="movie_indexed_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1870, year__lte=2100),
                name="movie_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def save(self, *args, **kwargs) -> None:
        from movies.text import normalize_title

        self.normalized_title = normalize_title(self.title)
        super().save(*args, **kwargs)

    @property
    def poster_src(self) -> str:
        """The poster's address for a page: only http(s) (a scraped or hand-typed
        "javascript:" or "data:" address is dropped), with quotes, backslashes and spaces
        percent-encoded, so that it cannot end an attribute or a CSS url('...')."""
        url = self.poster_url.strip()
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:  # "http://[::1" and the like
            return ""
        if scheme not in ("http", "https"):
            return ""
        return quote(url, safe=_URL_SAFE)

    @property
    def imdb_url(self) -> str:
        return f"https://www.imdb.com/title/{self.imdb_id}/" if self.imdb_id else ""

    @property
    def tmdb_url(self) -> str:
        return f"https://www.themoviedb.org/movie/{self.tmdb_id}" if self.tmdb_id else ""

    @property
    def wikipedia_url(self) -> str:
        slug = self.wikipedia_slug
        return f"https://en.wikipedia.org/wiki/{slug}" if slug else ""


class Credit(models.Model):
    class Role(models.TextChoices):
        DIRECTOR = "director", "Director"
        WRITER = "writer", "Writer"
        CAST = "cast", "Cast"

    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="credits")
    role = models.CharField(max_length=8, choices=Role.choices, db_index=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Billing order, 0 first.")
    character = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["movie", "role", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["movie", "person", "role"], name="credit_unique_person_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} in {self.movie}"
