from django.contrib import admin

from objectives.models import Cycle, Initiative, KeyResult, Milestone, Objective


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date", "status"]
    list_filter = ["status"]
    search_fields = ["name"]
    date_hierarchy = "start_date"


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0
    fields = ["title", "owner", "kind", "unit", "start_value", "target_value", "current_value", "weight"]
    readonly_fields = ["current_value"]
    autocomplete_fields = ["owner"]


class InitiativeInline(admin.TabularInline):
    model = Initiative
    extra = 0
    fields = ["title", "owner", "key_result", "status", "due_date"]
    autocomplete_fields = ["owner"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "cycle", "owner", "status"]
    list_filter = ["status", "cycle", "team"]
    search_fields = ["title", "description", "team__name"]
    autocomplete_fields = ["team", "owner", "parent"]
    list_select_related = ["team", "cycle", "owner"]
    inlines = [KeyResultInline, InitiativeInline]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["date", "planned_value"]


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
    list_display = ["title", "objective", "owner", "kind", "current_value", "target_value", "confidence"]
    list_filter = ["kind", "objective__cycle", "objective__team"]
    search_fields = ["title", "objective__title", "owner__username"]
    autocomplete_fields = ["objective", "owner"]
    readonly_fields = ["current_value", "confidence", "last_checkin_at"]
    list_select_related = ["objective", "owner"]
    inlines = [MilestoneInline]


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["title", "objective", "owner", "status", "due_date"]
    list_filter = ["status", "objective__cycle"]
    search_fields = ["title", "objective__title", "owner__username"]
    autocomplete_fields = ["objective", "owner", "key_result"]
    list_select_related = ["objective", "owner"]
