"""``roles`` in every template: the signed-in user's Access (teams/permissions.py), for the navigation.

Lazy, and the same object the views ask (cached on the user), so a page whose view already asked costs no
extra query.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from teams.permissions import access_for


def roles(request) -> dict:
    # Nothing is loaded until a template asks (not even the user: the outage page renders without a database).
    return {"roles": SimpleLazyObject(lambda: access_for(getattr(request, "user", None)))}
