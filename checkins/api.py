"""REST API v1 for check-ins (registered in okrhub/api_urls.py).

Posting a check-in goes through checkins.services.checkin_submit, exactly as the web form does: the key
result's current value and confidence follow the latest check-in.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from checkins import selectors, services
from checkins.models import CheckIn, Feedback
from objectives.api import ID_REGEX, VisibleKeyResultField, request_access
from objectives.models import KeyResult
from objectives.permissions import (
    access_for,
    can_change_checkin,
    can_check_in,
    can_give_feedback,
    can_reply_to_feedback,
    visible_objectives_q,
)
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
        fields = ["id", "key_result", "value", "confidence", "note", "author", "source", "created_at"]
        read_only_fields = ["author", "source", "created_at"]

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
                source=CheckIn.Source.API,
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


# --- Feedback ----------------------------------------------------------------------------------------------


class FeedbackFilter(filters.FilterSet):
    key_result = filters.ModelChoiceFilter(queryset=KeyResult.objects.all())
    unread = filters.BooleanFilter(
        method="filter_unread",
        help_text="true: only unread items for you (a lead's comment on what you own, an owner's reply in a "
        "thread you started); false: only those read.",
    )

    class Meta:
        model = Feedback
        fields = ["key_result", "checkin", "parent", "author", "unread"]

    def filter_unread(self, queryset, name, value):
        for_me = selectors.feedback_for_user_q(self.request.user)
        if value:
            return queryset.filter(for_me, read_at__isnull=True)
        return queryset.filter(for_me, read_at__isnull=False)


class FeedbackSerializer(serializers.ModelSerializer):
    key_result = VisibleKeyResultField(
        required=False, help_text="The key result commented on. Not needed for a reply (`parent`)."
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Feedback.objects.none(),
        required=False,
        allow_null=True,
        help_text="Reply in this thread (its first comment, or any item of it).",
    )
    recipient = serializers.SerializerMethodField(
        help_text="Whom the item is for: unread for them until they read or answer it."
    )

    class Meta:
        model = Feedback
        fields = [
            "id",
            "key_result",
            "checkin",
            "parent",
            "author",
            "recipient",
            "body",
            "created_at",
            "read_at",
        ]
        read_only_fields = ["author", "created_at", "read_at"]
        extra_kwargs = {"checkin": {"help_text": "Comment on this check-in of the key result (optional)."}}

    def get_fields(self):
        fields = super().get_fields()
        fields["parent"].queryset = visible_feedback(self.context.get("request"))
        fields["checkin"].queryset = CheckIn.objects.filter(
            visible_objectives_q(request_access(self.context), prefix="key_result__objective__")
        )
        return fields

    def get_recipient(self, feedback: Feedback) -> int | None:
        return feedback.recipient_id

    def validate(self, attrs):
        if attrs.get("parent") is None and attrs.get("key_result") is None:
            raise serializers.ValidationError({"key_result": [_("Choose the key result to comment on.")]})
        return attrs

    def create(self, validated_data) -> Feedback:
        user = self.context["request"].user
        try:
            if validated_data.get("parent") is not None:
                return services.feedback_reply(
                    parent=validated_data["parent"], author=user, body=validated_data["body"]
                )
            return services.feedback_create(
                key_result=validated_data["key_result"],
                author=user,
                body=validated_data["body"],
                checkin=validated_data.get("checkin"),
            )
        except ObjectLocked:
            raise  # a closed cycle, an archived objective, a retired key result: 409 (okrhub/api.py)
        except DjangoValidationError as error:
            raise serializers.ValidationError(validation_error_detail(error)) from error


def visible_feedback(request) -> QuerySet[Feedback]:
    if request is None:
        return Feedback.objects.none()
    access = access_for(request.user)
    return Feedback.objects.filter(
        visible_objectives_q(access, prefix="key_result__objective__")
    ).select_related("key_result__objective__cycle", "key_result__objective__team", "parent", "checkin")


class FeedbackViewSet(
    VersionedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Feedback threads on the key results the user may see, newest first. Leads of the key result's team
    (and of the teams above it) comment on it or on one of its check-ins; its owner and those leads reply in
    a thread (`parent`). The item's `recipient` marks it read. As on the key result page, nothing is edited
    or deleted."""

    serializer_class = FeedbackSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = FeedbackFilter
    lookup_value_regex = ID_REGEX
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[Feedback]:
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        return visible_feedback(self.request).order_by("-created_at", "-id")

    def perform_create(self, serializer) -> None:
        access = access_for(self.request.user)
        parent = serializer.validated_data.get("parent")
        if parent is not None:
            if not can_reply_to_feedback(access, parent.key_result):
                raise PermissionDenied(_("Only the key result's owner and the leads of its team reply here."))
        elif not can_give_feedback(access, serializer.validated_data["key_result"]):
            raise PermissionDenied(_("Only leads of this team, or of a team above it, give feedback."))
        serializer.save()

    @extend_schema(
        request=None,
        responses={200: FeedbackSerializer},
        summary="Mark the feedback read",
        description="Only the person the item is for (`recipient`); the first read time is kept.",
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        feedback = self.get_object()
        if feedback.recipient_id != request.user.pk:
            raise PermissionDenied(_("Only the person the feedback is for marks it as read."))
        services.feedback_mark_read(feedback=feedback)
        return Response(self.get_serializer(feedback).data)
