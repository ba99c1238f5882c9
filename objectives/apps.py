from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectivesConfig(AppConfig):
    name = "objectives"
    verbose_name = _("Objectives and key results")

    def ready(self) -> None:
        from objectives import signals  # noqa: F401  (connects the model signals that mark rollups stale)
