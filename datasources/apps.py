from __future__ import annotations

from django.apps import AppConfig


class DatasourcesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "datasources"
    verbose_name = "Data sources"

    def ready(self) -> None:
        from datasources import panels  # noqa: F401 — connects the key result page's panel
