from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware
from django.db import connection


class LoginRequiredMiddleware(BaseLoginRequiredMiddleware):
    """Every HTML page needs a login; the API under /api/ authenticates itself (token or session, DRF)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class QueryCountHeaderMiddleware:
    """Sets ``X-Query-Count`` to the number of SQL statements the request ran (opt-in, for `make bench`).

    Enabled only when ``QUERY_COUNT_HEADER=true``: the benchmark reads queries per request from real
    gunicorn workers with DEBUG off, where ``connection.queries`` is not recorded. It counts on the default
    connection, which is the only one the app uses.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response
