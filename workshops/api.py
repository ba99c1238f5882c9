"""REST API v1 for KPIs and their check-ins (registered in okrhub/api_urls.py).

The same rules as the KPI page (``workshops/views.py``): everyone signed in reads KPIs organisation-wide;
members and leads of the KPI's team (and leads above it) check in on it, through
``workshops.services.kpi_checkin_submit``. KPIs are made by promoting a key result (the workshop board), so
the API reads them; measurements are added, never edited, as on the page. Neither is ever read-only
(``objectives/writability.py``: a KPI lives outside cycles), so nothing here answers 409. Responses carry
the row's ``ETag`` like every object of the API; with no change to an existing row, nothing takes
``If-Match``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from objectives.api import ID_REGEX, request_access
from objectives.models import Kpi, KpiMeasurement
from objectives.permissions import access_for, can_check_in_kpi
from okrhub.api import validation_error_detail
from okrhub.api_versions import VersionedViewSetMixin
from teams.models import Team
from teams.selectors import team_descendant_ids
from workshops import services


class KpiFilter(filters.FilterSet):
    team = filters.ModelChoiceFilter(queryset=Team.objects.all(), method="filter_team")
    include_subteams = filters.BooleanFilter(
        method="filter_include_subteams", help_text="With `team`: also the teams below it."
    )

    class Meta:
        model = Kpi
        fields = ["team", "include_subteams", "kind"]

    def filter_team(self, queryset, name, value):
        if self.form.cleaned_data.get("include_subteams"):
            return queryset.filter(team_id__in=team_descendant_ids([value.pk]))
        return queryset.filter(team=value)

    def filter_include_subteams(self, queryset, name, value):
        # Read by filter_team; alone it changes nothing.
        return queryset


class KpiSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(min_value=0, max_value=1, read_only=True)

    class Meta:
        model = Kpi
        fields = [
            "id",
            "team",
            "name",
            "kind",
            "unit",
            "start_value",
            "target_value",
            "current_value",
            "progress",
            "last_measured_at",
            "source_key_result",
            "created_at",
        ]
        read_only_fields = fields


class KpiViewSet(VersionedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """A team's lasting metrics, outside cycles; read organisation-wide. Promote a key result on the
    workshop board to make one. The `ETag` changes with every check-in on it."""

    may_conflict = False

    serializer_class = KpiSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = KpiFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "name", "last_measured_at"]

    def get_queryset(self) -> QuerySet[Kpi]:
        return Kpi.objects.order_by("name", "id")


class KpiMeasurementFilter(filters.FilterSet):
    created_after = filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", help_text="Created on or after this date."
    )
    created_before = filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", help_text="Created on or before this date."
    )

    class Meta:
        model = KpiMeasurement
        fields = ["kpi", "author", "created_after", "created_before"]


class KpiMeasurementSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiMeasurement
        fields = ["id", "kpi", "value", "note", "author", "created_at"]
        read_only_fields = ["author", "created_at"]

    def validate_kpi(self, kpi: Kpi) -> Kpi:
        if not can_check_in_kpi(request_access(self.context), kpi):
            raise PermissionDenied(_("Only the team's members and leads check in on its KPIs."))
        return kpi

    def create(self, validated_data) -> KpiMeasurement:
        try:
            return services.kpi_checkin_submit(
                kpi=validated_data["kpi"],
                author=self.context["request"].user,
                value=validated_data["value"],
                note=validated_data.get("note", ""),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(validation_error_detail(error)) from error


class KpiMeasurementViewSet(
    VersionedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Check-ins on KPIs, newest first. The KPI's team (members and leads, and leads above it) adds them;
    the KPI's current value follows the latest one."""

    may_conflict = False

    serializer_class = KpiMeasurementSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = KpiMeasurementFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "created_at", "value"]

    def get_queryset(self) -> QuerySet[KpiMeasurement]:
        return KpiMeasurement.objects.order_by("-created_at", "-id")

    def perform_create(self, serializer) -> None:
        # validate_kpi already refused outsiders (403); asked again here so no path skips the rule.
        if not can_check_in_kpi(access_for(self.request.user), serializer.validated_data["kpi"]):
            raise PermissionDenied(_("Only the team's members and leads check in on its KPIs."))
        serializer.save()
