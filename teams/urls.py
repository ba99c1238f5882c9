from django.urls import path

from teams import views

app_name = "organisation"
urlpatterns = [
    path("", views.organisation, name="index"),
    path("teams/new/", views.team_new, name="team_new"),
    path("teams/pick/", views.team_pick, name="team_pick"),
    path("teams/<int:pk>/rename/", views.team_rename, name="team_rename"),
    path("teams/<int:pk>/move/", views.team_move, name="team_move"),
    path("teams/<int:pk>/archive/", views.team_archive, name="team_archive"),
    path("teams/<int:pk>/reactivate/", views.team_reactivate, name="team_reactivate"),
    path("admins/grant/", views.org_admin_grant, name="org_admin_grant"),
    path("admins/<int:user_id>/revoke/", views.org_admin_revoke, name="org_admin_revoke"),
]
