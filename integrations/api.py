"""REST API v1 for webhook endpoints (registered in okrhub/api_urls.py as /api/v1/webhooks/): admin scope —
organisation admins for the organisation's and every team's, team leads for their teams' (the pages' rule,
teams/permissions.py ``can_manage_integrations``). The signing secret is in the answer to the create and
rotate-secret calls only; the URL is never read back (``url_hint`` shows its host)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from integrations import services
from integrations.events import send_test_event
from integrations.models import Attempt, Delivery, Endpoint, EventType
from integrations.selectors import delivery_log, endpoints_for
from okrhub.api_versions import VersionedViewSetMixin
from teams.models import Team
from teams.permissions import access_for, can_manage_integrations

ID_REGEX = "[0-9]+"
EVENT_SCHEMA_FILE = Path(__file__).with_name("schemas") / "webhook_event.json"


@cache
def _event_schema() -> dict:
    return json.loads(EVENT_SCHEMA_FILE.read_text(encoding="utf-8"))


@require_safe
@cache_control(public=True, max_age=3600)
def webhook_event_schema(request: HttpRequest) -> JsonResponse:
    """The JSON Schema (draft 2020-12) of every webhook request's body, public like the OpenAPI schema that
    links to it (the ``webhooks`` tag), identified by the address it is served at."""
    schema = {**_event_schema(), "$id": request.build_absolute_uri(request.path)}
    return JsonResponse(
        schema, content_type="application/schema+json", json_dumps_params={"ensure_ascii": False}
    )


class EndpointSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False
    )
    url = serializers.CharField(
        write_only=True,
        max_length=services.URL_MAX_LENGTH,
        required=False,
        help_text="Where to POST. Required when creating; never read back. http(s) to a public host, or to "
        "one listed in WEBHOOK_ALLOWED_HOSTS.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[str(event) for event in EventType if event != EventType.TEST]),
        help_text="Webhooks: checkin.created, key_result.needs_attention, objective.published, cycle.closed, "
        "feedback.created (meeting.ended once meetings exist). Teams/Slack channels: team.weekly_summary, "
        "key_result.needs_attention.",
    )
    owner = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "kind",
            "team",
            "name",
            "url",
            "url_hint",
            "events",
            "language",
            "is_active",
            "disabled_reason",
            "consecutive_failures",
            "owner",
            "created_at",
        ]
        read_only_fields = ["url_hint", "is_active", "disabled_reason", "consecutive_failures", "created_at"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("url"):
            raise serializers.ValidationError({"url": [_("Enter the address to send to.")]})
        if self.instance is not None and ("kind" in attrs or "team" in attrs):
            changed = [f for f in ("kind", "team") if f in attrs and attrs[f] != getattr(self.instance, f)]
            if changed:
                raise serializers.ValidationError(
                    {changed[0]: [_("Cannot be changed; create a new endpoint instead.")]}
                )
        return attrs


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Webhooks: the signing secret, shown in this answer only. Verify each request: "
        "X-OKRHub-Signature = 'sha256=' + hex(HMAC-SHA256(secret, raw body)).",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "at", "status_code", "response_ms", "ok", "will_retry", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.uuid")
    event_type = serializers.CharField(source="event.type")
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    attempt_log = AttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "occurred_at",
            "status",
            "attempts",
            "finished_at",
            "attempt_log",
        ]


class MayManage(permissions.BasePermission):
    """Every call on an endpoint asks teams/permissions.py (endpoints are never read-only by state)."""

    def has_object_permission(self, request, view, obj) -> bool:
        return view.may_change(request, obj)


SECRET_RESPONSE = inline_serializer("WebhookSecret", {"secret": serializers.CharField()})


class WebhookViewSet(
    VersionedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook and Teams/Slack channel endpoints you manage. Payloads: the JSON Schema at
    /api/v1/schemas/webhook-event.json (docs/webhooks.md). Deliveries are retried with exponential backoff
    on timeouts and 5xx, not on 4xx; an endpoint is disabled after WEBHOOK_DISABLE_AFTER failed deliveries
    in a row."""

    may_conflict = False
    serializer_class = EndpointSerializer
    permission_classes = [IsAuthenticated, MayManage]
    lookup_value_regex = ID_REGEX
    filterset_fields = ["kind", "is_active"]
    ordering_fields = ["id", "name", "created_at"]

    def get_queryset(self):
        return endpoints_for(user=self.request.user)

    def may_change(self, request, endpoint: Endpoint) -> bool:
        return can_manage_integrations(access_for(request.user), endpoint.team)

    def _require_admin_scope(self) -> None:
        access = access_for(self.request.user)
        if not (access.manages_organisation or access.led_team_ids):
            raise PermissionDenied(_("Only organisation admins and team leads manage webhooks."))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._require_admin_scope()

    @extend_schema(responses={201: EndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team = data.get("team")
        if not can_manage_integrations(access_for(request.user), team):
            raise PermissionDenied(_("You may not set up integrations here."))
        endpoint, secret = services.endpoint_create(
            kind=data.get("kind", Endpoint.Kind.WEBHOOK),
            team=team,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            language=data.get("language", ""),
            owner=request.user,
        )
        self.etag_object = endpoint
        answer = EndpointCreatedSerializer(endpoint, context=self.get_serializer_context()).data
        answer["secret"] = secret or None
        return Response(answer, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        data = {key: value for key, value in serializer.validated_data.items() if key not in ("kind", "team")}
        serializer.instance = services.endpoint_update(endpoint=serializer.instance, data=data)

    def perform_destroy(self, instance: Endpoint) -> None:
        services.endpoint_delete(endpoint=instance)

    @extend_schema(
        request=None, responses={200: SECRET_RESPONSE, 400: OpenApiResponse(description="Not a webhook")}
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret, in this answer only; the old one stops signing at once."""
        endpoint = self.get_object()
        return Response({"secret": services.endpoint_rotate_secret(endpoint=endpoint)})

    @extend_schema(request=None, responses={202: None, 409: OpenApiResponse(description="Disabled")})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a `test` event to this endpoint now (after the answer); see the deliveries for the outcome."""
        endpoint = self.get_object()
        if not endpoint.is_active:
            return Response(
                {"detail": _("Enable the endpoint before sending a test event.")},
                status=status.HTTP_409_CONFLICT,
            )
        send_test_event(endpoint=endpoint, actor=request.user)
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: EndpointSerializer})
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        """Enable again (after it was disabled by failures or by hand); the failure count starts at 0."""
        endpoint = services.endpoint_set_active(endpoint=self.get_object(), active=True)
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(request=None, responses={200: EndpointSerializer})
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        endpoint = services.endpoint_set_active(endpoint=self.get_object(), active=False)
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The latest deliveries to this endpoint with each attempt's status and response time."""
        endpoint = self.get_object()
        return Response(DeliverySerializer(delivery_log(endpoint=endpoint), many=True).data)
