"""REST API v1 for teams, memberships and users (registered in okrhub/api_urls.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from okrhub.api import MayChange, StaffWrites
from okrhub.api_versions import VersionedViewSetMixin
from teams import services
from teams.models import Membership, Team
from teams.permissions import access_for, can_manage_members

User = get_user_model()

ID_REGEX = "[0-9]+"


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "parent"]

    def create(self, validated_data) -> Team:
        return services.team_create(**validated_data)

    def update(self, instance: Team, validated_data) -> Team:
        return services.team_update(team=instance, data=validated_data)


class TeamViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """The team tree. Everyone signed in reads it; staff change it."""

    may_conflict = False

    queryset = Team.objects.order_by("name")
    serializer_class = TeamSerializer
    permission_classes = [IsAuthenticated, StaffWrites]
    lookup_value_regex = ID_REGEX
    filterset_fields = ["parent"]
    ordering_fields = ["id", "name", "slug"]

    def perform_destroy(self, instance: Team) -> None:
        services.team_delete(team=instance)


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "full_name"]

    def get_full_name(self, user) -> str:
        return user.get_full_name()


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Active users, to resolve owners, authors and members."""

    queryset = User.objects.filter(is_active=True).order_by("username")
    serializer_class = UserSerializer
    lookup_value_regex = ID_REGEX
    filterset_fields = ["username"]
    ordering_fields = ["id", "username", "last_name"]


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "role"]

    def create(self, validated_data) -> Membership:
        return services.membership_create(**validated_data)

    def update(self, instance: Membership, validated_data) -> Membership:
        return services.membership_update(membership=instance, data=validated_data)


class MembershipViewSet(
    VersionedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Who belongs to which team. Leads manage the memberships of their teams and the teams below."""

    may_conflict = False

    queryset = Membership.objects.order_by("team__name", "user__username", "id")
    serializer_class = MembershipSerializer
    permission_classes = [IsAuthenticated, MayChange]
    lookup_value_regex = ID_REGEX
    filterset_fields = ["team", "user", "role"]
    ordering_fields = ["id", "role", "created_at"]

    def may_change(self, request, membership: Membership) -> bool:
        return can_manage_members(access_for(request.user), membership.team)

    def _check_team(self, team: Team) -> None:
        if not can_manage_members(access_for(self.request.user), team):
            raise PermissionDenied()

    def perform_create(self, serializer) -> None:
        self._check_team(serializer.validated_data["team"])
        serializer.save()

    def perform_update(self, serializer) -> None:
        # Moving a membership to another team needs the right to manage that team too.
        if "team" in serializer.validated_data:
            self._check_team(serializer.validated_data["team"])
        serializer.save()

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_delete(membership=instance)
