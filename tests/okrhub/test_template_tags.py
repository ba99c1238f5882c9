"""Template tags format; they run no queries and decide no permissions: views build the context."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("teams", "objectives", "checkins", "dashboards", "workshops", "notifications", "okrhub")
# Modules that read the database or answer "may this user…": a tag library has no business with them.
FORBIDDEN = ("models", "selectors", "permissions", "history", "services", "figures")


def forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found += [
            name
            for name in names
            if name.startswith("django.db") or any(part in FORBIDDEN for part in name.split(".")[1:])
        ]
    return found


def test_template_tag_libraries_import_no_models_selectors_or_permissions():
    offending = {
        path.relative_to(ROOT).as_posix(): imports
        for app in APPS
        for path in (ROOT / app / "templatetags").glob("*.py")
        if (imports := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offending == {}


def test_the_check_finds_a_tag_that_queries():
    source = "from objectives.models import Kpi\nfrom objectives.permissions import access_for\nimport json"
    assert forbidden_imports(source) == [
        "objectives.models",
        "objectives.models.Kpi",
        "objectives.permissions",
        "objectives.permissions.access_for",
    ]
    assert forbidden_imports("from okrhub.numbers import format_number") == []
