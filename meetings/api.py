"""REST API v1 for meetings, read-only (registered in okrhub/api_urls.py): the minutes, decisions and actions
of a team's meetings; each action links to the initiative it became. Who sees what is the rule of
meetings/permissions.py: ended meetings for everyone signed in, the open one for the team and leads above."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from meetings.models import Meeting, MeetingAction, MeetingItem
from meetings.selectors import meetings_visible_q
from objectives.api import ID_REGEX
from objectives.models import Initiative
from teams.models import Team


class MeetingFilter(filters.FilterSet):
    team = filters.ModelChoiceFilter(queryset=Team.objects.all(), help_text="The team's id.")

    class Meta:
        model = Meeting
        fields = ["team"]


class MeetingDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingItem
        fields = ["id", "body", "author", "created_at"]
        read_only_fields = fields


class MeetingNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingItem
        fields = ["id", "key_result", "body", "author", "created_at"]
        read_only_fields = fields


class MeetingActionSerializer(serializers.ModelSerializer):
    initiative_url = serializers.HyperlinkedRelatedField(
        source="initiative", view_name="initiative-detail", read_only=True
    )
    title = serializers.CharField(source="initiative.title", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(source="initiative.owner", read_only=True)
    key_result = serializers.PrimaryKeyRelatedField(source="initiative.key_result", read_only=True)
    due_date = serializers.DateField(source="initiative.due_date", read_only=True)
    status = serializers.ChoiceField(
        source="initiative.status", choices=Initiative.Status.choices, read_only=True
    )

    class Meta:
        model = MeetingAction
        fields = ["id", "initiative", "initiative_url", "title", "owner", "key_result", "due_date", "status"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    minutes = serializers.JSONField(
        read_only=True, help_text="The minutes frozen when the meeting ended; empty while it is open."
    )
    decisions = MeetingDecisionSerializer(many=True, read_only=True, source="decision_items")
    notes = MeetingNoteSerializer(many=True, read_only=True, source="note_items")
    actions = MeetingActionSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "team",
            "iso_year",
            "iso_week",
            "started_at",
            "ended_at",
            "minutes",
            "decisions",
            "notes",
            "actions",
        ]
        read_only_fields = fields


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """A team's meetings, newest first: `?team=<id>`."""

    serializer_class = MeetingSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = MeetingFilter
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return (
            Meeting.objects.filter(meetings_visible_q(self.request.user))
            .prefetch_related(
                Prefetch(
                    "items",
                    queryset=MeetingItem.objects.filter(kind=MeetingItem.Kind.DECISION),
                    to_attr="decision_items",
                ),
                Prefetch(
                    "items",
                    queryset=MeetingItem.objects.filter(kind=MeetingItem.Kind.NOTE),
                    to_attr="note_items",
                ),
                Prefetch("actions", queryset=MeetingAction.objects.select_related("initiative")),
            )
            .order_by("-started_at", "-id")
        )
