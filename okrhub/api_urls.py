"""REST API v1: each app's api.py provides ViewSets, registered here. Paths are a public contract."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from checkins.api import CheckInViewSet
from objectives.api import CycleViewSet, InitiativeViewSet, KeyResultViewSet, ObjectiveViewSet
from okrhub.api import AuthRateThrottle
from teams.api import MembershipViewSet, TeamViewSet, UserViewSet


class ObtainToken(ObtainAuthToken):
    """username + password → {"token": "…"}; send it as `Authorization: Token …`."""

    # No session authentication here: a script posting credentials needs no CSRF token.
    authentication_classes = ()
    throttle_classes = (AuthRateThrottle,)


router = DefaultRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("users", UserViewSet, basename="user")
router.register("cycles", CycleViewSet, basename="cycle")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("key-results", KeyResultViewSet, basename="key-result")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("checkins", CheckInViewSet, basename="checkin")

urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, and our template moves its inline <style> into a
    # static file: the docs page needs no exception from the Content-Security-Policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    *router.urls,
]
