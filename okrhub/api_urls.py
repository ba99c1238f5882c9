"""REST API v1: each app's api.py provides ViewSets, registered here. Paths are a public contract."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from checkins.api import CheckInViewSet, FeedbackViewSet
from integrations.api import WebhookViewSet, webhook_event_schema
from meetings.api import MeetingViewSet
from objectives.api import CycleViewSet, InitiativeViewSet, KeyResultViewSet, ObjectiveViewSet
from okrhub.api import AuthRateThrottle
from teams.api import MembershipViewSet, TeamViewSet, UserViewSet
from teams.lockouts import lockout_response
from teams.people_api import InvitationViewSet
from teams.two_factor import has_two_factor, two_factor_required
from teams.two_factor import token_matches as two_factor_token_matches
from workshops.api import KpiMeasurementViewSet, KpiViewSet


class ObtainToken(ObtainAuthToken):
    """username (or email address) + password → {"token": "…"}; send it as `Authorization: Token …`."""

    # No session authentication here: a script posting credentials needs no CSRF token.
    authentication_classes = ()
    throttle_classes = (AuthRateThrottle,)

    def post(self, request, *args, **kwargs):
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # django-axes marks the request it was handed, which here is DRF's, not Django's: its middleware
            # cannot see the mark, so the lockout answer is given here (teams/lockouts.py).
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            raise
        user = serializer.validated_data["user"]
        if two_factor_required(user):
            # Password sign-ins with a second factor: the code comes along as ``otp``.
            if not has_two_factor(user):
                raise ValidationError({"otp": [_("Set up two-factor sign-in on your profile page first.")]})
            if two_factor_token_matches(user, request.data.get("otp", "")) is None:
                raise ValidationError({"otp": [_("Enter the current code from your authenticator app.")]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


router = DefaultRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("users", UserViewSet, basename="user")
router.register("cycles", CycleViewSet, basename="cycle")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("key-results", KeyResultViewSet, basename="key-result")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("checkins", CheckInViewSet, basename="checkin")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("kpis", KpiViewSet, basename="kpi")
router.register("kpi-measurements", KpiMeasurementViewSet, basename="kpi-measurement")
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Linked from the schema's "webhooks" tag (SPECTACULAR_SETTINGS["TAGS"]).
    path("schemas/webhook-event.json", webhook_event_schema, name="api-webhook-event-schema"),
    # The split view serves its start-up script as a file, and our template moves its inline <style> into a
    # static file: the docs page needs no exception from the Content-Security-Policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    *router.urls,
]
