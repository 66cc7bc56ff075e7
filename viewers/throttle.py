"""How fast anonymous feedback may arrive: per viewer (its session), per client address, and
new anonymous viewers per address. Counts share the request limit's cache windows
(recsys_site.ratelimit), so every web process sees them. Accounts are not throttled here."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from recsys_site.clients import client_ip, seconds_left_in_window, spend
from viewers.identity import SESSION_KEY


def anonymous_feedback_refusal(request: HttpRequest) -> str:
    """Why this anonymous feedback POST is refused now ("" when it is allowed). Each call
    counts the request."""
    if request.user.is_authenticated:
        return ""
    address = client_ip(request)
    anonymous_id = request.session.get(SESSION_KEY, "")
    limits = [(settings.RECSYS_FEEDBACK_PER_MINUTE_PER_ADDRESS, f"feedback:address:{address}")]
    if anonymous_id:
        limits.append(
            (settings.RECSYS_FEEDBACK_PER_MINUTE_PER_VIEWER, f"feedback:viewer:{anonymous_id}")
        )
    else:  # this POST would create a new anonymous viewer
        limits.append(
            (
                settings.RECSYS_NEW_ANONYMOUS_VIEWERS_PER_MINUTE_PER_ADDRESS,
                f"feedback:new:{address}",
            )
        )
    try:
        over = [limit for limit, key in limits if limit and spend(key, 1) > limit]
    except Exception:  # a cache outage must not take the buttons down with it
        return ""
    if over:
        return (
            f"Too many likes and list changes: at most {min(over)} a minute without an "
            "account. Wait a moment, or sign in."
        )
    return ""


def throttle_anonymous_feedback(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a throttled anonymous feedback POST with 429 and the reason."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = anonymous_feedback_refusal(request)
        if refusal:
            response = HttpResponse(refusal, status=429, content_type="text/plain")
            response["Retry-After"] = str(seconds_left_in_window())
            return response
        return view(request, *args, **kwargs)

    return wrapped
