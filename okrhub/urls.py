from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from dashboards.objective_views import objective_detail
from dashboards.urls import team_urlpatterns
from okrhub import health, metrics, personal_data, views
from teams import oidc_views, people_views, two_factor_views
from teams import views as team_views
from teams.people_forms import PasswordResetForm

urlpatterns = [
    # Answered first by okrhub.health.ProbeMiddleware; listed here so they reverse (docs/operations.md).
    path("healthz", health.healthz, name="healthz"),
    path("healthz/db", health.database_probe, name="healthz_db"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("accounts/profile/", team_views.profile, name="profile"),
    path("accounts/profile/account/", people_views.account_update, name="account_update"),
    path("accounts/profile/data.json", personal_data.personal_data_download, name="personal_data"),
    # Django's reset view with our form: the email goes through the app's mail path (a Celery task).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    # Before the auth include: our login also applies the language from the user's profile.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    # Provider sign-in (teams/oidc.py); register …/accounts/oidc/callback/ with the provider.
    path("accounts/oidc/login/", oidc_views.OIDCLoginView.as_view(), name="oidc_login"),
    path("accounts/oidc/callback/", oidc_views.OIDCCallbackView.as_view(), name="oidc_callback"),
    path("accounts/oidc/refused/", oidc_views.oidc_refused, name="oidc_refused"),
    path("accounts/2fa/", two_factor_views.verify, name="two_factor_verify"),
    path("accounts/2fa/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("accounts/2fa/disable/", two_factor_views.disable, name="two_factor_disable"),
    # Before the auth include: also ends the provider's session after a provider sign-in.
    path("accounts/logout/", oidc_views.logout, name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("okrhub.api_urls")),
    path("organisation/cycles/", include("objectives.cycle_urls")),
    path("organisation/", include("teams.urls")),
    path("teams/<slug:slug>/meetings/", include("meetings.urls")),
    path("teams/", include((team_urlpatterns, "teams"))),
    path("objectives/<int:pk>/", objective_detail, name="objective_detail"),
    path("organisation/", include("teams.people_urls")),
    path("invitations/<str:token>/", people_views.invitation_accept, name="invitation_accept"),
    path("dashboards/checkpoints/", include("meetings.checkpoint_urls")),
    path("dashboards/", include("dashboards.urls")),
    path("workshops/", include("workshops.urls")),
    path("imports/", include("imports.urls")),
    path("integrations/", include("integrations.urls")),
    path("data-sources/", include("datasources.urls")),
    path("", include("objectives.urls")),
    path("", include("checkins.urls")),
]

# Outages (database or cache unreachable) answer 503, everything else Django's 500 (okrhub/outages.py).
handler500 = "okrhub.outages.server_error"
