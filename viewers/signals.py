"""At log-in, what the browser liked before becomes the account's."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from viewers.identity import SESSION_KEY
from viewers.services import viewer_merge_anonymous


@receiver(user_logged_in, dispatch_uid="viewers_merge_anonymous")
def merge_anonymous_viewer(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    anonymous_id = request.session.pop(SESSION_KEY, "")
    viewer_merge_anonymous(anonymous_id=anonymous_id, user_id=user.pk)
