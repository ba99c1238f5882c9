"""Sign in with a username or an email address, on the web login and at /api/v1/auth/token/ alike."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from teams.oidc import password_sign_in_allowed


class EmailOrUsernameBackend(ModelBackend):
    """The username first (exactly, as Django does); else the one account with that email address.

    Email addresses are matched case-insensitively. An address several accounts share is refused rather than
    guessed: those people sign in with their username.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None and "@" in username:
            matches = list(User._default_manager.filter(email__iexact=username.strip())[:2])
            user = matches[0] if len(matches) == 1 else None
        if user is None:
            # As ModelBackend does: spend the hashing time anyway, so timing does not reveal who exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        # OIDC_ONLY: people sign in with the organisation's provider; only staff keep a password.
        return super().user_can_authenticate(user) and password_sign_in_allowed(user)
