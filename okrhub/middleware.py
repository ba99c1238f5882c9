from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware


class LoginRequiredMiddleware(BaseLoginRequiredMiddleware):
    """Every HTML page needs a login; the API under /api/ authenticates itself (token or session, DRF)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
