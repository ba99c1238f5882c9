"""REST API v1 for check-ins (registered in okrhub/api_urls.py).

Posting a check-in goes through checkins.services.checkin_submit, exactly as the web form does: the key
result's current value and confidence follow the latest check-in.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from checkins import services
from checkins.models import CheckIn
from objectives.api import ID_REGEX, VisibleKeyResultField
from objectives.models import KeyResult
from objectives.permissions import access_for, can_change_checkin, can_check_in, visible_objectives_q
from objectives.writability import ObjectLocked
from okrhub.api import MayChange, validation_error_detail
from okrhub.api_versions import VersionedViewSetMixin


class CheckInFilter(filters.FilterSet):
    key_result = filters.ModelChoiceFilter(queryset=KeyResult.objects.all())
    created_after = filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", help_text="Created on or after this date."
    )
    created_before = filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", help_text="Created on or before this date."
    )

    class Meta:
        model = CheckIn
        fields = ["key_result", "author", "created_after", "created_before"]


class CheckInSerializer(serializers.ModelSerializer):
    key_result = VisibleKeyResultField()

    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "value", "confidence", "note", "author", "created_at"]
        read_only_fields = ["author", "created_at"]

    def validate_key_result(self, key_result: KeyResult) -> KeyResult:
        if self.instance is not None and key_result.pk != self.instance.key_result_id:
            raise serializers.ValidationError(_("A check-in cannot be moved to another key result."))
        return key_result

    def _service_errors(self, error: DjangoValidationError) -> serializers.ValidationError:
        if not hasattr(error, "error_dict"):
            return serializers.ValidationError({"key_result": error.messages})
        return serializers.ValidationError(validation_error_detail(error))

    def create(self, validated_data) -> CheckIn:
        try:
            return services.checkin_submit(
                key_result=validated_data["key_result"],
                author=self.context["request"].user,
                value=validated_data["value"],
                confidence=validated_data["confidence"],
                note=validated_data.get("note", ""),
            )
        except ObjectLocked:
            raise  # a closed cycle, an archived or draft objective, a retired key result: 409 (okrhub/api.py)
        except DjangoValidationError as error:
            raise self._service_errors(error) from error

    def update(self, instance: CheckIn, validated_data) -> CheckIn:
        try:
            return services.checkin_update(
                checkin=instance,
                value=validated_data.get("value", instance.value),
                confidence=validated_data.get("confidence", instance.confidence),
                note=validated_data.get("note", instance.note),
            )
        except ObjectLocked:
            raise  # a closed cycle, an archived or draft objective, a retired key result: 409 (okrhub/api.py)
        except DjangoValidationError as error:
            raise self._service_errors(error) from error


class CheckInViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """Check-ins on the key results the user may see. Members of a key result's team check in on it; the
    author may change or delete a check-in during the same week."""

    serializer_class = CheckInSerializer
    permission_classes = [IsAuthenticated, MayChange]
    filterset_class = CheckInFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "created_at", "value", "confidence"]

    def get_queryset(self) -> QuerySet[CheckIn]:
        if getattr(self, "swagger_fake_view", False):
            return CheckIn.objects.none()
        access = access_for(self.request.user)
        return CheckIn.objects.filter(
            visible_objectives_q(access, prefix="key_result__objective__")
        ).order_by("-created_at", "-id")

    def may_change(self, request, checkin: CheckIn) -> bool:
        return can_change_checkin(access_for(request.user), checkin)

    def perform_create(self, serializer) -> None:
        if not can_check_in(access_for(self.request.user), serializer.validated_data["key_result"]):
            raise PermissionDenied(_("You may not check in on this key result."))
        serializer.save()

    def perform_destroy(self, instance: CheckIn) -> None:
        services.checkin_delete(checkin=instance)
