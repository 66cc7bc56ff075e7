"""What viewers tell us about films: likes and dislikes, their list, and imported ratings.

A viewer is either an account (``user``) or an anonymous browser (``anonymous_id``, a random
token kept in the session; it survives the session-key change at log-in so likes can be merged).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from movies.models import Movie

VIEWER_SET = Q(user__isnull=False, anonymous_id="") | (Q(user__isnull=True) & ~Q(anonymous_id=""))


class ViewerOwned(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    anonymous_id = models.CharField(max_length=32, blank=True, db_index=True)
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Reaction(ViewerOwned):
    """A like (+1) or a dislike (-1) of one film by one viewer."""

    class Value(models.IntegerChoices):
        LIKE = 1, "Like"
        DISLIKE = -1, "Dislike"

    value = models.SmallIntegerField(choices=Value.choices)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=VIEWER_SET, name="reaction_one_viewer"),
            models.UniqueConstraint(
                fields=["user", "movie"], condition=Q(user__isnull=False), name="reaction_user"
            ),
            models.UniqueConstraint(
                fields=["anonymous_id", "movie"],
                condition=Q(user__isnull=True),
                name="reaction_anonymous",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_value_display()} {self.movie}"


class MyListEntry(ViewerOwned):
    """A film the viewer saved to "My list"."""

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "my list entries"
        constraints = [
            models.CheckConstraint(condition=VIEWER_SET, name="mylist_one_viewer"),
            models.UniqueConstraint(
                fields=["user", "movie"], condition=Q(user__isnull=False), name="mylist_user"
            ),
            models.UniqueConstraint(
                fields=["anonymous_id", "movie"],
                condition=Q(user__isnull=True),
                name="mylist_anonymous",
            ),
        ]

    def __str__(self) -> str:
        return f"My list: {self.movie}"


class AnonymousViewer(models.Model):
    """An anonymous browser that gave feedback: when it was first and last seen, how much it did.

    Its feedback shapes its own rows at once; it counts for everyone (training, popularity) only
    once the viewer is trusted (viewers.selectors.trusted_reactions), and the viewer with its
    feedback is deleted after RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS without any (a beat task)."""

    anonymous_id = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(db_index=True)
    last_seen_at = models.DateTimeField(db_index=True)
    feedback_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"anonymous {self.anonymous_id[:8]}"


class Rating(models.Model):
    """A star rating imported from a public dataset (MovieLens): training data for the
    collaborative recommender. ``rater`` is the dataset's own user id."""

    class Source(models.TextChoices):
        MOVIELENS = "movielens", "MovieLens"

    source = models.CharField(max_length=16, choices=Source.choices)
    rater = models.PositiveIntegerField(help_text="The user id inside the source dataset.")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    score = models.FloatField(help_text="0.5 to 5 stars.")
    rated_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["source", "rater", "rated_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "rater", "movie"], name="rating_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0.5, score__lte=5), name="rating_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.rater} rated {self.movie} {self.score}"


class CuratedRow(models.Model):
    """A home row a curator shapes in admin ("Staff picks"): its films in the curator's order."""

    title = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order among the curated rows on the home page, lowest first."
    )
    is_active = models.BooleanField(default=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class CuratedRowFilm(models.Model):
    row = models.ForeignKey(CuratedRow, on_delete=models.CASCADE, related_name="entries")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(
        max_length=160, blank=True, help_text="Why it is here, shown on the card (optional)."
    )

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["row", "movie"], name="curated_row_film_once"),
        ]

    def __str__(self) -> str:
        return f"{self.row}: {self.movie}"
