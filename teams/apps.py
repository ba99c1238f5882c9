from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Teams")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from teams.two_factor import mark_pending_at_sign_in

        user_logged_in.connect(mark_pending_at_sign_in, dispatch_uid="teams.two_factor.pending")
