"""``roles`` in every template: the signed-in user's Access (teams/permissions.py), for the navigation.

Lazy, and the same object the views ask (cached on the user), so a page whose view already asked costs no
extra query.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from teams.permissions import access_for


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"roles": SimpleLazyObject(lambda: access_for(user))}
