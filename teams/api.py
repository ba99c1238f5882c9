"""REST API v1 for teams, memberships and users (registered in okrhub/api_urls.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from okrhub.api import MayChange
from okrhub.api_versions import VersionedViewSetMixin
from teams import services
from teams.models import Membership, Team
from teams.permissions import (
    access_for,
    can_create_team,
    can_manage_members,
    can_manage_organisation,
    can_rename_team,
    can_restructure_team,
)

User = get_user_model()

ID_REGEX = "[0-9]+"


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "parent", "archived_at"]
        read_only_fields = ["archived_at"]
        extra_kwargs = {"slug": {"required": False, "help_text": "Generated from the name when left out."}}

    def create(self, validated_data) -> Team:
        return services.team_create(**validated_data)

    def update(self, instance: Team, validated_data) -> Team:
        return services.team_update(team=instance, data=validated_data)


class TeamViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """The team tree. Everyone signed in reads it; organisation admins change all of it, leads the teams
    inside their subtree (teams/permissions.py, as on the Organisation page)."""

    may_conflict = False

    queryset = Team.objects.order_by("name")
    serializer_class = TeamSerializer
    permission_classes = [IsAuthenticated, MayChange]
    lookup_value_regex = ID_REGEX
    filterset_fields = ["parent"]
    ordering_fields = ["id", "name", "slug"]

    def may_change(self, request, team: Team) -> bool:
        access = access_for(request.user)
        if request.method == "DELETE":
            return can_manage_organisation(access)
        return can_rename_team(access, team) or can_restructure_team(access, team)

    def perform_create(self, serializer) -> None:
        parent = serializer.validated_data.get("parent")
        if not can_create_team(access_for(self.request.user), parent_id=parent.pk if parent else None):
            raise PermissionDenied(_("You may not create teams here."))
        serializer.save()

    def perform_update(self, serializer) -> None:
        team, data = serializer.instance, serializer.validated_data
        access = access_for(self.request.user)
        renames = any(field in data and data[field] != getattr(team, field) for field in ("name", "slug"))
        if renames and not can_rename_team(access, team):
            raise PermissionDenied(_("You may not rename this team."))
        if "parent" in data and data["parent"] != team.parent:
            parent = data["parent"]
            if not (
                can_restructure_team(access, team)
                and can_create_team(access, parent_id=parent.pk if parent else None)
            ):
                raise PermissionDenied(_("You may not move this team there."))
        serializer.save()

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
