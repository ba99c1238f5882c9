from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from dashboards.urls import team_urlpatterns
from okrhub import views
from teams import views as team_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("accounts/profile/", team_views.profile, name="profile"),
    # Before the auth include: our login also applies the language from the user's profile.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("okrhub.api_urls")),
    path("teams/", include((team_urlpatterns, "teams"))),
    path("dashboards/", include("dashboards.urls")),
    path("workshops/", include("workshops.urls")),
    path("", include("objectives.urls")),
    path("", include("checkins.urls")),
]
