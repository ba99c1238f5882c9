from __future__ import annotations

from django.contrib import admin

from datasources.models import DataSource, DataSourceFetch


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    # The encrypted header value is not a field here: it is set on the key result page only.
    list_display = ["key_result", "format", "label", "enabled", "last_fetched_at", "last_error_at"]
    list_filter = ["format", "enabled"]
    readonly_fields = ["last_fetched_at", "last_value", "last_error", "last_error_at", "last_checkin_at"]
    raw_id_fields = ["key_result", "created_by"]


@admin.register(DataSourceFetch)
class DataSourceFetchAdmin(admin.ModelAdmin):
    list_display = ["source", "day", "attempts", "outcome", "finished_at"]
    list_filter = ["outcome", "day"]
    raw_id_fields = ["source"]
