"""Django's admin reads an empty `_to_field=` as a field named "" and answers 500 on every change
page (Django 5.2: the permission check skips an empty value, get_object does not). An empty
value means no to_field, so it is dropped before the admin sees it."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

TO_FIELD = "_to_field"  # django.contrib.admin.options.TO_FIELD_VAR


class EmptyToFieldMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and request.GET.get(TO_FIELD, None) == "":
            params = request.GET.copy()
            del params[TO_FIELD]
            request.GET = params
        return self.get_response(request)
