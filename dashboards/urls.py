from django.urls import path

from dashboards import team_views, views

app_name = "dashboards"
urlpatterns = [
    path("", views.index, name="index"),
    path("teams/", views.team_search_results, name="team_search"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]

# The team pages are the dashboard's drill-down; okrhub/urls.py mounts them at /teams/ as namespace "teams".
team_urlpatterns = [
    path("", team_views.team_list, name="list"),
    path("<slug:slug>/", team_views.team_detail, name="detail"),
    path("<slug:slug>/members/add/", team_views.member_add, name="member_add"),
    path("<slug:slug>/members/<int:pk>/role/", team_views.member_role, name="member_role"),
    path("<slug:slug>/members/<int:pk>/remove/", team_views.member_remove, name="member_remove"),
]
