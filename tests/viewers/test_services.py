import pytest

from tests.factories import MovieFactory
from viewers.identity import Viewer
from viewers.models import MyListEntry, Reaction
from viewers.selectors import viewer_taste
from viewers.services import my_list_toggle, reaction_toggle, viewer_merge_anonymous

pytestmark = pytest.mark.django_db
LIKE, DISLIKE = Reaction.Value.LIKE, Reaction.Value.DISLIKE


def test_a_reaction_toggles_and_switches():
    viewer, movie = Viewer(anonymous_id="a" * 32), MovieFactory()

    assert reaction_toggle(viewer=viewer, movie_id=movie.pk, value=LIKE) == LIKE
    assert viewer_taste(viewer).liked == [movie.pk]
    assert reaction_toggle(viewer=viewer, movie_id=movie.pk, value=DISLIKE) == DISLIKE
    assert viewer_taste(viewer).disliked == [movie.pk]
    assert reaction_toggle(viewer=viewer, movie_id=movie.pk, value=DISLIKE) is None
    assert Reaction.objects.count() == 0


def test_my_list_toggles():
    viewer, movie = Viewer(anonymous_id="b" * 32), MovieFactory()
    assert my_list_toggle(viewer=viewer, movie_id=movie.pk) is True
    assert viewer_taste(viewer).my_list == [movie.pk]
    assert my_list_toggle(viewer=viewer, movie_id=movie.pk) is False
    assert MyListEntry.objects.count() == 0


def test_viewers_are_kept_apart(django_user_model):
    user = django_user_model.objects.create_user("ann", password="pw-long-enough-1")
    movie = MovieFactory()
    reaction_toggle(viewer=Viewer(user_id=user.pk), movie_id=movie.pk, value=LIKE)
    reaction_toggle(viewer=Viewer(anonymous_id="c" * 32), movie_id=movie.pk, value=DISLIKE)
    assert viewer_taste(Viewer(user_id=user.pk)).liked == [movie.pk]
    assert viewer_taste(Viewer(anonymous_id="c" * 32)).disliked == [movie.pk]


def test_merge_moves_the_browser_into_the_account_and_its_latest_reaction_wins(
    django_user_model,
):
    user = django_user_model.objects.create_user("bob", password="pw-long-enough-1")
    account, browser = Viewer(user_id=user.pk), Viewer(anonymous_id="d" * 32)
    both, only_browser, only_account = MovieFactory(), MovieFactory(), MovieFactory()
    reaction_toggle(viewer=account, movie_id=both.pk, value=LIKE)
    reaction_toggle(viewer=account, movie_id=only_account.pk, value=LIKE)
    reaction_toggle(viewer=browser, movie_id=both.pk, value=DISLIKE)
    reaction_toggle(viewer=browser, movie_id=only_browser.pk, value=LIKE)
    my_list_toggle(viewer=account, movie_id=both.pk)
    my_list_toggle(viewer=browser, movie_id=both.pk)

    viewer_merge_anonymous(anonymous_id=browser.anonymous_id, user_id=user.pk)

    taste = viewer_taste(account)
    assert set(taste.liked) == {only_browser.pk, only_account.pk}
    assert taste.disliked == [both.pk]
    assert taste.my_list == [both.pk]
    assert viewer_taste(browser) == viewer_taste(Viewer())
