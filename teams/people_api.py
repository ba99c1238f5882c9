"""REST API v1 for invitations (registered in okrhub/api_urls.py): invite, list and revoke, with the web's
permissions (leads for their teams and the teams below, organisation admins anywhere)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from okrhub.api import validation_error_detail
from teams import people_services as services
from teams.models import Invitation, Team
from teams.people_selectors import invitations_open_for
from teams.permissions import access_for, can_invite, can_manage_people

ID_REGEX = "[0-9]+"


class InvitationSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())

    class Meta:
        model = Invitation
        fields = ["id", "email", "name", "team", "role", "state", "created_at", "expires_at", "invited_by"]
        read_only_fields = ["id", "state", "created_at", "expires_at", "invited_by"]

    def get_state(self, invitation: Invitation) -> str:
        return invitation.state_at(timezone.now())

    def create(self, validated_data) -> Invitation:
        request = services.InvitationRequest(
            email=validated_data["email"],
            team=validated_data["team"],
            role=validated_data.get("role") or Invitation._meta.get_field("role").default,
            name=validated_data.get("name", ""),
        )
        try:
            return services.invitation_create(request=request, inviter=self.context["request"].user)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"email": error.messages}) from error


class InvitationViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Open (pending or expired) invitations to the teams whose people you manage. Creating one emails the
    address a single-use link valid for INVITATION_DAYS days; an address that is already a member of the
    team, or already has a pending invitation to it, is refused with 400."""

    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = ID_REGEX
    filterset_fields = ["team", "email"]
    ordering_fields = ["id", "created_at", "expires_at"]

    def get_queryset(self):
        return invitations_open_for(access=access_for(self.request.user))

    def perform_create(self, serializer) -> None:
        if not can_manage_people(access_for(self.request.user), serializer.validated_data["team"]):
            raise PermissionDenied()
        serializer.save()

    def list(self, request, *args, **kwargs):
        if not can_invite(access_for(request.user)):
            raise PermissionDenied()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke a pending invitation: its link stops working at once."""
        invitation = self.get_object()
        try:
            invitation = services.invitation_revoke(invitation=invitation)
        except DjangoValidationError as error:
            return Response(validation_error_detail(error), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(invitation).data)
