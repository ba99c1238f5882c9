from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teams.oidc import login_context
from teams.selectors import profile_language
from teams.views import set_language_cookie


class LoginView(auth_views.LoginView):
    """Django's login, then the language chosen on the profile page, so it holds on every device.

    A user who follows the site default ("") keeps whatever language they picked before signing in.
    """

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **login_context(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        language = profile_language(user=form.get_user())
        if language:
            set_language_cookie(response, language)
        return response


@login_not_required
@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (tilgjengelighetserklæring): public, as public bodies must publish it."""
    contact = settings.ACCESSIBILITY_CONTACT.strip()
    is_url = contact.startswith(("https://", "http://"))
    return render(
        request,
        "okrhub/accessibility.html",
        {
            "contact": contact,
            "contact_href": contact if is_url else f"mailto:{contact}" if "@" in contact else "",
        },
    )
