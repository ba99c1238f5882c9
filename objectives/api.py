"""REST API v1 for cycles, objectives, key results and initiatives (registered in okrhub/api_urls.py).

Reads see what objectives/permissions.py lets the user see (drafts of other teams are 404); writes are
checked there too (403) and go through objectives/services.py.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from objectives import progress as rules
from objectives import services
from objectives.figures import KeyResultFigures, figures_of, moment_now
from objectives.models import Cycle, Initiative, KeyResult, Milestone, Objective
from objectives.permissions import (
    ANONYMOUS,
    Access,
    access_for,
    can_create_objective,
    can_edit_objective,
    can_manage_cycles,
    can_publish,
    can_update_initiative,
    visible_objectives_q,
)
from okrhub.api import Conflict, MayChange
from okrhub.api_versions import VersionedViewSetMixin
from teams.models import Team
from teams.selectors import team_descendant_ids

User = get_user_model()

ID_REGEX = "[0-9]+"
FRACTION = serializers.FloatField(min_value=0, max_value=1, read_only=True)

# Retired key results no longer count towards an objective's progress.
COUNTED_KEY_RESULTS = KeyResult.objects.in_progress()
# Members who own an initiative (but do not lead its team) may move it along, nothing else.
OWNER_INITIATIVE_FIELDS = frozenset({"status", "due_date"})


def request_access(context: dict) -> Access:
    request = context.get("request")
    return access_for(request.user) if request is not None else ANONYMOUS


# --- Related fields limited to what the user may see: an invisible id is as unknown as a missing one -----


class VisibleObjectiveField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Objective]:
        access = request_access(self.context)
        return Objective.objects.filter(visible_objectives_q(access)).select_related("cycle", "team")


class VisibleKeyResultField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[KeyResult]:
        access = request_access(self.context)
        return KeyResult.objects.filter(visible_objectives_q(access, prefix="objective__")).select_related(
            "objective__cycle", "objective__team"
        )


class ActiveUserField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.filter(is_active=True)


# --- Cycles ----------------------------------------------------------------------------------------------


class CycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cycle
        fields = ["id", "name", "start_date", "end_date", "status"]
        extra_kwargs = {
            "status": {
                "help_text": (
                    "upcoming → planning → active → closed. Changing it runs the same lifecycle action as "
                    "the cycles page: activating makes the published objectives active, closing freezes "
                    "the scores and archives the objectives."
                )
            }
        }

    def create(self, validated_data) -> Cycle:
        return services.cycle_create(**validated_data)

    def update(self, instance: Cycle, validated_data) -> Cycle:
        status = validated_data.pop("status", instance.status)
        if validated_data:
            instance = services.cycle_update(cycle=instance, data=validated_data)
        return services.cycle_move_to(cycle=instance, status=status, actor=self.context["request"].user)


class ManagesCycles(permissions.BasePermission):
    """Everyone signed in reads cycles; organisation admins (and staff) create and change them."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or can_manage_cycles(access_for(request.user))


class CycleViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """OKR periods. Everyone signed in reads them; organisation admins change them."""

    may_conflict = False

    queryset = Cycle.objects.order_by("-start_date", "id")
    serializer_class = CycleSerializer
    permission_classes = [IsAuthenticated, ManagesCycles]
    lookup_value_regex = ID_REGEX
    filterset_fields = ["status"]
    ordering_fields = ["id", "name", "start_date", "end_date"]

    def perform_destroy(self, instance: Cycle) -> None:
        services.cycle_delete(cycle=instance)

    @extend_schema(
        request=None,
        responses={200: CycleSerializer, 409: OpenApiResponse(description="The cycle is already closed.")},
        summary="Close the cycle",
        description=(
            "Closes the cycle for the whole organisation, as the cycles page does: key results without a "
            "final score get their progress as score, published and active objectives are archived, and "
            "everything in the cycle becomes read-only. Organisation admins only."
        ),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        cycle = self.get_object()
        try:
            services.cycle_close(cycle=cycle, actor=request.user)
        except DjangoValidationError as error:
            raise Conflict(" ".join(error.messages)) from error
        return Response(self.get_serializer(cycle).data)


# --- Filters ---------------------------------------------------------------------------------------------


class TeamScopedFilter(filters.FilterSet):
    """``team`` (with ``include_subteams``), ``cycle``, ``owner`` and the objective's ``status``."""

    objective_prefix = ""

    cycle = filters.ModelChoiceFilter(queryset=Cycle.objects.all(), method="filter_cycle")
    team = filters.ModelChoiceFilter(queryset=Team.objects.all(), method="filter_team")
    include_subteams = filters.BooleanFilter(
        method="filter_include_subteams", help_text="With `team`: also the teams below it."
    )
    owner = filters.ModelChoiceFilter(queryset=User.objects.all())
    status = filters.ChoiceFilter(
        choices=Objective.Status.choices, method="filter_status", help_text="The objective's status."
    )

    @extend_schema_field(OpenApiTypes.INT)
    def filter_cycle(self, queryset, name, value):
        return queryset.filter(**{f"{self.objective_prefix}cycle": value})

    @extend_schema_field(OpenApiTypes.INT)
    def filter_team(self, queryset, name, value):
        if self.form.cleaned_data.get("include_subteams"):
            return queryset.filter(**{f"{self.objective_prefix}team_id__in": team_descendant_ids([value.pk])})
        return queryset.filter(**{f"{self.objective_prefix}team": value})

    def filter_include_subteams(self, queryset, name, value):
        # Read by filter_team; alone it changes nothing.
        return queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(**{f"{self.objective_prefix}status": value})


class ObjectiveFilter(TeamScopedFilter):
    class Meta:
        model = Objective
        fields = ["cycle", "team", "include_subteams", "owner", "status", "parent"]


class KeyResultFilter(TeamScopedFilter):
    objective_prefix = "objective__"

    class Meta:
        model = KeyResult
        fields = ["objective", "cycle", "team", "include_subteams", "owner", "status", "kind"]


class InitiativeFilter(TeamScopedFilter):
    objective_prefix = "objective__"
    status = filters.ChoiceFilter(choices=Initiative.Status.choices, help_text="The initiative's status.")

    class Meta:
        model = Initiative
        fields = ["objective", "key_result", "cycle", "team", "include_subteams", "owner", "status"]


# --- Objectives ------------------------------------------------------------------------------------------


class ObjectiveSerializer(serializers.ModelSerializer):
    owner = ActiveUserField(allow_null=True, required=False)
    parent = VisibleObjectiveField(allow_null=True, required=False)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = ["id", "team", "cycle", "title", "description", "owner", "parent", "status", "progress"]

    @extend_schema_field(FRACTION)
    def get_progress(self, objective: Objective) -> float:
        key_results = getattr(objective, "counted_key_results", None)
        if key_results is None:
            key_results = list(objective.key_results.in_progress())
        return rules.objective_progress((kr.progress, kr.weight) for kr in key_results)

    def create(self, validated_data) -> Objective:
        return services.objective_create(**validated_data)

    def update(self, instance: Objective, validated_data) -> Objective:
        return services.objective_update(objective=instance, data=validated_data)


class ObjectiveViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """Objectives organisation-wide; drafts only for their team, its leads and OKR ambassadors."""

    serializer_class = ObjectiveSerializer
    permission_classes = [IsAuthenticated, MayChange]
    filterset_class = ObjectiveFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "title", "position", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Objective]:
        if getattr(self, "swagger_fake_view", False):
            return Objective.objects.none()
        access = access_for(self.request.user)
        return (
            Objective.objects.filter(visible_objectives_q(access))
            .select_related("cycle")
            .prefetch_related(
                Prefetch(
                    "key_results", queryset=KeyResult.objects.in_progress(), to_attr="counted_key_results"
                )
            )
            .order_by("position", "id")
        )

    def may_change(self, request, objective: Objective) -> bool:
        return can_edit_objective(access_for(request.user), objective)

    def _check_publish(self, *, team_id: int, status: str) -> None:
        if status != Objective.Status.DRAFT and not can_publish(
            access_for(self.request.user), team_id=team_id
        ):
            raise PermissionDenied(_("You may not publish objectives for this team."))

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        team = data["team"]
        if not can_create_objective(access_for(self.request.user), team_id=team.pk):
            raise PermissionDenied(_("You may not create objectives for this team."))
        self._check_publish(team_id=team.pk, status=data.get("status", Objective.Status.DRAFT))
        serializer.save()

    def perform_update(self, serializer) -> None:
        objective, data = serializer.instance, serializer.validated_data
        team = data.get("team", objective.team)
        if team.pk != objective.team_id and not can_create_objective(
            access_for(self.request.user), team_id=team.pk
        ):
            raise PermissionDenied(_("You may not move objectives to this team."))
        if data.get("status", objective.status) != objective.status:
            self._check_publish(team_id=team.pk, status=data["status"])
        serializer.save()

    def perform_destroy(self, instance: Objective) -> None:
        services.objective_delete(objective=instance)


# --- Key results -----------------------------------------------------------------------------------------


class KeyResultSerializer(serializers.ModelSerializer):
    objective = VisibleObjectiveField()
    owner = ActiveUserField(allow_null=True, required=False)
    progress = serializers.SerializerMethodField()
    expected_progress = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=services.REASON_MAX_LENGTH,
        help_text=(
            "Why the key result changes. Required when changing the title, kind, unit, start or target "
            "value of a key result whose objective is published; kept in its history."
        ),
    )

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "title",
            "owner",
            "kind",
            "unit",
            "start_value",
            "target_value",
            "weight",
            "current_value",
            "confidence",
            "progress",
            "expected_progress",
            "health",
            "reason",
        ]
        read_only_fields = ["current_value", "confidence"]

    def _figures(self, key_result: KeyResult) -> KeyResultFigures:
        # Once per key result and request, from the one read model; the list's rows share the root
        # serializer's context, so the moment (today, time zone) is computed once.
        moment = self.context.get("moment")
        if moment is None:
            moment = self.context["moment"] = moment_now()
        cache = self.context.setdefault("figures", {})
        if key_result.pk not in cache or cache[key_result.pk][0] is not key_result:
            cache[key_result.pk] = (key_result, figures_of(key_result, moment=moment))
        return cache[key_result.pk][1]

    @extend_schema_field(FRACTION)
    def get_progress(self, key_result: KeyResult) -> float:
        return self._figures(key_result).progress

    @extend_schema_field(
        serializers.FloatField(
            min_value=0,
            max_value=1,
            read_only=True,
            allow_null=True,
            help_text=(
                "Progress expected by today: along the planned path (milestones) if any, else the elapsed "
                "fraction of the cycle; null for kinds without a pace (achieve, stay_above, stay_below)."
            ),
        )
    )
    def get_expected_progress(self, key_result: KeyResult) -> float | None:
        return self._figures(key_result).expected

    @extend_schema_field(serializers.ChoiceField(choices=rules.HEALTHS, read_only=True))
    def get_health(self, key_result: KeyResult) -> str:
        return self._figures(key_result).health

    def create(self, validated_data) -> KeyResult:
        # A new key result has nothing to adjust yet, so a reason is not needed.
        validated_data.pop("reason", None)
        return services.key_result_create(**validated_data)

    def update(self, instance: KeyResult, validated_data) -> KeyResult:
        reason = validated_data.pop("reason", "")
        return services.key_result_adjust(
            key_result=instance, actor=self.context["request"].user, data=validated_data, reason=reason
        )


class MilestoneSerializer(serializers.ModelSerializer):
    """One point of a key result's planned path: the value planned by a date within its cycle."""

    class Meta:
        model = Milestone
        fields = ["date", "planned_value"]


class KeyResultViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """Key results with their progress, expected progress and health (objectives/progress.py)."""

    serializer_class = KeyResultSerializer
    permission_classes = [IsAuthenticated, MayChange]
    filterset_class = KeyResultFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "title", "position", "confidence", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[KeyResult]:
        if getattr(self, "swagger_fake_view", False):
            return KeyResult.objects.none()
        access = access_for(self.request.user)
        return (
            KeyResult.objects.filter(visible_objectives_q(access, prefix="objective__"))
            .select_related("objective__cycle", "objective__team", "owner")  # the figures read the owner
            .prefetch_related("milestones")  # the plan that expected progress follows
            .order_by("objective_id", "position", "id")
        )

    def may_change(self, request, key_result: KeyResult) -> bool:
        return can_edit_objective(access_for(request.user), key_result.objective)

    def _check_objective(self, objective: Objective) -> None:
        if not can_edit_objective(access_for(self.request.user), objective):
            raise PermissionDenied(_("You may not change the key results of this objective."))

    def perform_create(self, serializer) -> None:
        self._check_objective(serializer.validated_data["objective"])
        serializer.save()

    def perform_update(self, serializer) -> None:
        if "objective" in serializer.validated_data:
            self._check_objective(serializer.validated_data["objective"])
        serializer.save()

    def perform_destroy(self, instance: KeyResult) -> None:
        services.key_result_delete(key_result=instance)

    @extend_schema(
        summary="The key result's planned path",
        description=(
            "The milestones (date → planned value) of an `increase_to` or `decrease_to` key result, by date. "
            "With a plan, `expected_progress` follows it instead of the straight line from the start value "
            "at the cycle's start to the target at its end. `PUT` replaces the whole plan (an empty list "
            "removes it) and needs the same rights as changing the key result; each date must fall strictly "
            "inside the cycle, once, and each planned value between the start value and the target."
        ),
        request=MilestoneSerializer(many=True),
        responses=MilestoneSerializer(many=True),
    )
    # A JSON list: form encodings cannot carry one.
    @action(
        detail=True,
        methods=["get", "put"],
        pagination_class=None,
        filterset_class=None,
        parser_classes=[JSONParser],
    )
    def milestones(self, request, pk=None) -> Response:
        key_result = self.get_object()
        if request.method == "PUT":
            serializer = MilestoneSerializer(data=request.data, many=True)
            serializer.is_valid(raise_exception=True)
            rows = [(row["date"], row["planned_value"]) for row in serializer.validated_data]
            services.key_result_plan_set(key_result=key_result, actor=request.user, milestones=rows)
        milestones = Milestone.objects.filter(key_result=key_result).order_by("date")
        return Response(MilestoneSerializer(milestones, many=True).data)


# --- Initiatives -----------------------------------------------------------------------------------------


class InitiativeSerializer(serializers.ModelSerializer):
    objective = VisibleObjectiveField()
    key_result = VisibleKeyResultField(allow_null=True, required=False)
    owner = ActiveUserField(allow_null=True, required=False)

    class Meta:
        model = Initiative
        fields = ["id", "objective", "key_result", "title", "owner", "status", "due_date"]

    def create(self, validated_data) -> Initiative:
        return services.initiative_create(**validated_data)

    def update(self, instance: Initiative, validated_data) -> Initiative:
        return services.initiative_update(initiative=instance, data=validated_data)


class InitiativeViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """Initiatives: leads change them; their owners move them along (status and due date)."""

    serializer_class = InitiativeSerializer
    permission_classes = [IsAuthenticated, MayChange]
    filterset_class = InitiativeFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "title", "position", "due_date", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Initiative]:
        if getattr(self, "swagger_fake_view", False):
            return Initiative.objects.none()
        access = access_for(self.request.user)
        return (
            Initiative.objects.filter(visible_objectives_q(access, prefix="objective__"))
            .select_related("objective__cycle", "objective__team")
            .order_by("objective_id", "position", "id")
        )

    def may_change(self, request, initiative: Initiative) -> bool:
        access = access_for(request.user)
        if request.method == "DELETE":
            return can_edit_objective(access, initiative.objective)
        return can_update_initiative(access, initiative)

    def perform_create(self, serializer) -> None:
        if not can_edit_objective(access_for(self.request.user), serializer.validated_data["objective"]):
            raise PermissionDenied(_("You may not add initiatives to this objective."))
        serializer.save()

    def perform_update(self, serializer) -> None:
        initiative, data = serializer.instance, serializer.validated_data
        access = access_for(self.request.user)
        if not can_edit_objective(access, initiative.objective):
            changed = {field for field, value in data.items() if getattr(initiative, field) != value}
            if changed - OWNER_INITIATIVE_FIELDS:
                raise PermissionDenied(_("As its owner you may change the status and due date only."))
        elif "objective" in data and not can_edit_objective(access, data["objective"]):
            raise PermissionDenied(_("You may not move initiatives to this objective."))
        serializer.save()

    def perform_destroy(self, instance: Initiative) -> None:
        services.initiative_delete(initiative=instance)
