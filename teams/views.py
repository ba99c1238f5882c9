from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from teams.forms import ProfileForm
from teams.models import Profile
from teams.services import api_token_rotate, profile_update


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember the language for the browser, as Django's set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required
@never_cache  # shows the API token: no browser or proxy may keep a copy (Cache-Control: no-store)
@require_http_methods(["GET", "POST"])
def profile(request):
    """The signed-in user's own settings (there is no id in the URL: nobody reaches another's profile)."""
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(instance=profile)
    if request.method == "POST" and request.POST.get("action") == "rotate_token":
        api_token_rotate(user=request.user)
        messages.success(request, _("Your API token was replaced. The old token no longer works."))
        return redirect("profile")
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            profile = profile_update(user=request.user, **form.cleaned_data)
            language = profile.language or settings.LANGUAGE_CODE
            # The choice takes effect at once: for this confirmation and, through the cookie, the session.
            translation.activate(language)
            messages.success(request, _("Your settings were saved."))
            response = redirect("profile")
            set_language_cookie(response, language)
            return response
    token = Token.objects.filter(user=request.user).first()
    return render(request, "teams/profile.html", {"form": form, "token": token})
