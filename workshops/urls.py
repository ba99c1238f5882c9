from __future__ import annotations

from django.urls import path

from workshops import views

app_name = "workshops"
# Fixed prefixes first: "<team-slug>/<cycle-id>/" would otherwise also match "kpis/1/".
urlpatterns = [
    path("", views.index, name="index"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/delete/", views.draft_delete, {"kind": "objective"}, name="objective_delete"),
    path("key-results/<int:pk>/edit/", views.key_result_edit, name="key_result_edit"),
    path(
        "key-results/<int:pk>/delete/", views.draft_delete, {"kind": "key_result"}, name="key_result_delete"
    ),
    path("key-results/<int:pk>/retire/", views.key_result_retire, name="key_result_retire"),
    path("key-results/<int:pk>/history/", views.key_result_history, name="key_result_history"),
    path("key-results/<int:pk>/plan/", views.key_result_plan, name="key_result_plan"),
    path("key-results/<int:pk>/promote/", views.kpi_promote, name="kpi_promote"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    path(
        "initiatives/<int:pk>/delete/", views.draft_delete, {"kind": "initiative"}, name="initiative_delete"
    ),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi_detail"),
    path("<slug:team_slug>/<int:cycle_id>/", views.board, name="board"),
    path("<slug:team_slug>/<int:cycle_id>/objectives/new/", views.objective_new, name="objective_new"),
    path("<slug:team_slug>/<int:cycle_id>/key-results/new/", views.key_result_new, name="key_result_new"),
    path("<slug:team_slug>/<int:cycle_id>/initiatives/new/", views.initiative_new, name="initiative_new"),
    path("<slug:team_slug>/<int:cycle_id>/coach/", views.coach_preview, name="coach_preview"),
    path("<slug:team_slug>/<int:cycle_id>/publish/", views.publish, name="publish"),
    path("<slug:team_slug>/<int:cycle_id>/close/", views.close, name="close"),
    path("<slug:team_slug>/<int:cycle_id>/close/scores/", views.close_scores, name="close_scores"),
    path(
        "<slug:team_slug>/<int:cycle_id>/close/retrospective/",
        views.close_retrospective,
        name="close_retrospective",
    ),
    path("<slug:team_slug>/<int:cycle_id>/close/team/", views.close_team, name="close_team"),
    path("<slug:team_slug>/<int:cycle_id>/carry-over/", views.carry_over, name="carry_over"),
]
