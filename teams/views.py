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
from teams.people_forms import AccountForm
from teams.permissions import access_for, can_invite, can_manage_people
from teams.services import api_token_rotate, profile_update
from teams.two_factor import has_two_factor


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
    return render(request, "teams/profile.html", profile_context(request, form=form))


def profile_context(
    request, *, form: ProfileForm | None = None, account_form: AccountForm | None = None
) -> dict:
    """What the profile page shows; the account view re-renders it with its form's errors."""
    if form is None:
        profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
        form = ProfileForm(instance=profile)
    user = request.user
    if account_form is None:
        account_form = AccountForm(
            initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
        )
    token = Token.objects.filter(user=user).first()
    access = access_for(user)
    return {
        "form": form,
        "account_form": account_form,
        "token": token,
        "can_invite": can_invite(access),
        "may_manage_people": can_manage_people(access),
        "has_two_factor": has_two_factor(user),
        "two_factor_required": settings.REQUIRE_2FA_FOR_STAFF and user.is_staff,
    }
