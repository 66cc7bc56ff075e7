"""Who is looking: an account or an anonymous browser, as one small value."""

import secrets
from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest

SESSION_KEY = "viewer_anonymous_id"


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    anonymous_id: str = ""

    @property
    def is_known(self) -> bool:
        return bool(self.user_id or self.anonymous_id)

    def owns(self) -> Q:
        """The filter selecting this viewer's rows in Reaction / MyListEntry."""
        if self.user_id:
            return Q(user_id=self.user_id)
        return Q(user__isnull=True, anonymous_id=self.anonymous_id)

    def owner_fields(self) -> dict:
        if self.user_id:
            return {"user_id": self.user_id, "anonymous_id": ""}
        return {"user_id": None, "anonymous_id": self.anonymous_id}


def viewer_from_request(request: HttpRequest, *, create: bool = False) -> Viewer:
    """The viewer of a request. ``create`` gives an anonymous browser its token (on a write)."""
    if request.user.is_authenticated:
        return Viewer(user_id=request.user.pk)
    anonymous_id = request.session.get(SESSION_KEY, "")
    if not anonymous_id and create:
        anonymous_id = secrets.token_hex(16)
        request.session[SESSION_KEY] = anonymous_id
    return Viewer(anonymous_id=anonymous_id)
