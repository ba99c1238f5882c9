from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Teams")

    def ready(self) -> None:
        from teams import (
            tree,  # noqa: F401 — the team tree's generation follows every team's save
            two_factor,  # noqa: F401 — connects the sign-in receiver
        )
