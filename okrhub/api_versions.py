"""The API side of row versions (okrhub/versioning.py): ETag out, If-Match in, both in the OpenAPI schema.

Apart from okrhub/api.py because drf-spectacular's AutoSchema must not be imported while DRF's settings load
that module (its throttles).
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from okrhub.api import PreconditionFailed
from okrhub.versioning import etag, if_match_allows

ITEM_WRITES = frozenset({"update", "partial_update", "destroy"})


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 412],
    description="The object's version. Send it back in `If-Match` to change the object only if nobody "
    "changed it since.",
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `ETag` the change is based on. A stale one is refused with 412 and nothing changes; "
    "without it, a PATCH changes only the fields it sends.",
)
CONFLICT_RESPONSE = OpenApiResponse(
    ErrorDetailSerializer,
    description="The object is read-only in its state (closed cycle, archived objective, retired key "
    "result, a draft's check-in); `detail` says why. Nothing changed.",
)
PRECONDITION_RESPONSE = OpenApiResponse(
    ErrorDetailSerializer,
    description="`If-Match` is stale: someone changed the object meanwhile. Nothing changed.",
)


class VersionedSchema(AutoSchema):
    """Documents the row-version contract of ``VersionedViewSetMixin`` on every operation it applies to."""

    def _writes_item(self) -> bool:
        return self.method in ("PUT", "PATCH", "DELETE")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_list_view():
            return parameters
        if self._writes_item():
            parameters.append(IF_MATCH_HEADER)
        if self.method != "DELETE":
            parameters.append(ETAG_HEADER)
        return parameters

    def get_response_serializers(self):
        serializer = super().get_response_serializers()
        if self.method == "GET" or isinstance(serializer, dict):
            return serializer
        conflict = {409: CONFLICT_RESPONSE} if getattr(self.view, "may_conflict", True) else {}
        if self.method == "POST":
            return {201: serializer, **conflict}
        success = {204: None} if self.method == "DELETE" else {200: serializer}
        return {**success, **conflict, 412: PRECONDITION_RESPONSE}


class VersionedViewSetMixin:
    """Every object response carries its ``ETag``; ``PUT``, ``PATCH`` and ``DELETE`` lock the row, then
    honour ``If-Match`` (412 when stale). The lock also serialises writes without ``If-Match``, and the
    services save only the fields sent, so two PATCHes of different fields both keep their change."""

    schema = VersionedSchema()
    # False for objects that are never read-only (objectives/writability.py): no 409 in their schema.
    may_conflict = True

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("PUT", "PATCH", "DELETE"):
            # The row lock (filter_queryset) lasts until the write is committed.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(self, "action", None) in ITEM_WRITES:
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        obj = super().get_object()  # 404, then 403 and 409 (MayChange)
        self.etag_object = obj
        if self.action in ITEM_WRITES and not if_match_allows(self.request.headers.get("If-Match"), obj):
            raise PreconditionFailed()
        return obj

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        self.etag_serializer = serializer
        return serializer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "action", None) == "list":
            return response
        obj = getattr(getattr(self, "etag_serializer", None), "instance", None)
        if response.status_code == 412 or obj is None:
            obj = getattr(self, "etag_object", None)
        if obj is not None and hasattr(obj, "version") and response.status_code in (200, 201, 412):
            response["ETag"] = etag(obj)
        return response
