"""The second sign-in step, and turning two-factor sign-in on and off (teams/two_factor.py)."""

from __future__ import annotations

from base64 import b32encode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from teams import two_factor

INVALID_CODE = gettext_lazy("That code is not valid. Enter the current code from your authenticator app.")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure())
    return url if safe else settings.LOGIN_REDIRECT_URL


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code after the password. Wrong codes count like wrong passwords do not: django-otp throttles
    each device (growing delays after failures)."""
    if not two_factor.has_two_factor(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.token_matches(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", INVALID_CODE)
    return render(
        request,
        "teams/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache  # shows the secret key
@require_http_methods(["GET", "POST"])
def setup(request):
    if two_factor.has_two_factor(request.user):
        return redirect("profile")
    device = two_factor.setup_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is on. Keep your authenticator app at hand."))
            return redirect(_next_url(request) if request.POST.get("next") else "profile")
        form.add_error("code", INVALID_CODE)
    key = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        "config_url": device.config_url,
        "next": request.GET.get("next", ""),
        "required": settings.REQUIRE_2FA_FOR_STAFF and request.user.is_staff,
    }
    return render(request, "teams/two_factor_setup.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def disable(request):
    if settings.REQUIRE_2FA_FOR_STAFF and request.user.is_staff:
        messages.error(request, _("Staff must use two-factor sign-in here; it cannot be turned off."))
        return redirect("profile")
    form = CodeForm(request.POST)
    if form.is_valid() and two_factor.token_matches(request.user, form.cleaned_data["code"]):
        two_factor.TOTPDevice.objects.filter(user=request.user).delete()
        messages.success(request, _("Two-factor sign-in is off."))
    else:
        messages.error(request, INVALID_CODE)
    return redirect("profile")
