import factory

from movies.models import Credit, Genre, Keyword, Movie, Person


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Genre {n}")


class KeywordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Keyword
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"keyword {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Faker("name")


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda n: f"Film number {n}")
    year = factory.Faker("random_int", min=1930, max=2024)
    synopsis = factory.Faker("paragraph", nb_sentences=3)
    imdb_id = factory.Sequence(lambda n: f"tt{9000000 + n:07d}")


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credit

    movie = factory.SubFactory(MovieFactory)
    person = factory.SubFactory(PersonFactory)
    role = Credit.Role.CAST
    order = 0


def registered_reranker(
    version: str, *, activate: bool = False, metrics: dict | None = None, data_hash: str = "x"
):
    """A reranker version's row (no files): the registry's side of a trained model."""
    from recommendations.models import TrainedModel
    from recommendations.trained_models import trained_model_register

    return trained_model_register(
        kind=TrainedModel.Kind.RERANKER,
        version=version,
        path=f"reranker/{version}",
        config={},
        metrics=metrics or {},
        data_hash=data_hash,
        activate=activate,
    )
