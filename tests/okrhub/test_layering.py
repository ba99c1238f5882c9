"""The shape of the house: dependencies point one way, teams ← objectives ← checkins ← dashboards, workshops,
notifications.

Every module of every app is parsed with ``ast`` (nothing is imported, so a module that is only imported
lazily, inside a function, is checked too). An app may import from its own layer or any layer below it,
never from one above. ``okrhub`` wires the apps together and may import anything. Templates follow the same
rule for the ``{% load %}`` of another app's template tags and for ``{% include %}``/``{% extends %}``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

LAYERS: dict[str, int] = {
    "teams": 0,
    "objectives": 1,
    "checkins": 2,
    # Capabilities that read all of the above; side by side, so they may use each other.
    "dashboards": 3,
    "workshops": 3,
    "notifications": 3,  # every message sent or received: reminders, digests
    "imports": 3,  # OKRs from spreadsheets
    "integrations": 3,  # webhooks, channel posts, data sources: pushes and pulls over HTTP
    "datasources": 3,  # key results that update themselves from a URL
    "meetings": 3,  # the weekly OKR meeting, its minutes and the leader's checkpoint
}

# Known exceptions: (file relative to the project root, the upper app's module or template library) → why.
# Keep this list short and explained; the test also fails when an entry is no longer needed.
ALLOWED: dict[tuple[str, str], str] = {
    # Add an exception only with a comment saying why the lower layer must know the upper one.
}

ROOT = Path(settings.BASE_DIR)


def layer_of(module: str) -> str | None:
    top = module.split(".", 1)[0]
    return top if top in LAYERS else None


def imported_modules(source: str, *, package: str) -> list[tuple[int, str]]:
    """Absolute names of the modules a source imports, with their line numbers."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A relative import: resolve it against the importing module's package.
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations_in_source(source: str, *, app: str, package: str) -> list[tuple[int, str]]:
    return [
        (line, module)
        for line, module in imported_modules(source, package=package)
        if (upper := layer_of(module)) is not None and LAYERS[upper] > LAYERS[app]
    ]


def python_modules(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "__pycache__" not in path.parts)


def template_libraries() -> dict[str, str]:
    """Template tag library name → the app that defines it."""
    return {
        path.stem: app
        for app in LAYERS
        for path in (ROOT / app / "templatetags").glob("*.py")
        if path.stem != "__init__"
    }


LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
INCLUDE = re.compile(r"""{%\s*(?:include|extends)\s+["']([\w-]+)/""")


def violations_in_template(text: str, *, app: str, libraries: dict[str, str]) -> list[str]:
    found: list[str] = []
    for match in LOAD.finditer(text):
        words = match.group(1).split()
        # "{% load name from library %}" names the library last.
        names = [words[-1]] if "from" in words else words
        found += [name for name in names if LAYERS.get(libraries.get(name, ""), -1) > LAYERS[app]]
    found += [folder for folder in INCLUDE.findall(text) if LAYERS.get(folder, -1) > LAYERS[app]]
    return found


def all_violations() -> list[tuple[str, int | None, str]]:
    found: list[tuple[str, int | None, str]] = []
    for app in LAYERS:
        for path in python_modules(app):
            relative = path.relative_to(ROOT)
            package = ".".join(relative.with_suffix("").parts[:-1])
            source = path.read_text(encoding="utf-8")
            found += [
                (relative.as_posix(), line, module)
                for line, module in violations_in_source(source, app=app, package=package)
            ]
    libraries = template_libraries()
    for app in LAYERS:
        for path in sorted((ROOT / "templates" / app).rglob("*")):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                relative = path.relative_to(ROOT).as_posix()
                found += [
                    (relative, None, name)
                    for name in violations_in_template(text, app=app, libraries=libraries)
                ]
    return found


def _allowed(path: str, module: str) -> bool:
    return any(
        path == allowed_path and (module + ".").startswith(name + ".") for allowed_path, name in ALLOWED
    )


def test_every_app_has_modules_to_check():
    for app in LAYERS:
        assert len(python_modules(app)) > 2, app


def test_no_app_imports_from_a_layer_above_it():
    offending = [
        f"{path}:{line or '-'} uses {module}"
        for path, line, module in all_violations()
        if not _allowed(path, module)
    ]
    assert offending == [], (
        "Dependencies must point down (see STYLE.md, 'The shape of the house'):\n" + "\n".join(offending)
    )


def test_every_exception_is_still_needed():
    seen = {(path, module) for path, _line, module in all_violations()}
    stale = [
        entry
        for entry in ALLOWED
        if not any(path == entry[0] and (module + ".").startswith(entry[1] + ".") for path, module in seen)
    ]
    assert stale == [], f"Remove these exceptions from ALLOWED, the code no longer needs them: {stale}"


@pytest.mark.parametrize(
    ("source", "app", "package", "expected"),
    [
        ("from dashboards.selectors import x", "teams", "teams", [(1, "dashboards.selectors")]),
        ("import checkins.forms", "objectives", "objectives", [(1, "checkins.forms")]),
        ("def f():\n    from workshops import coach", "checkins", "checkins", [(2, "workshops")]),
        ("import_module('checkins.tasks')", "teams", "teams", [(1, "checkins.tasks")]),
        ("from objectives.models import Cycle", "checkins", "checkins", []),
        ("from workshops.selectors import team_kpis", "dashboards", "dashboards", []),
        ("from .models import Team\nfrom . import selectors", "teams", "teams", []),
        ("from django.db import models\nimport teamsx", "teams", "teams", []),
    ],
)
def test_the_check_finds_imports_from_above(source, app, package, expected):
    assert violations_in_source(source, app=app, package=package) == expected


def test_the_check_finds_template_tags_and_includes_from_above():
    libraries = {"workshops": "workshops", "partials": "template_partials"}
    text = (
        '{% load i18n partials workshops %}{% include "dashboards/_bar.html" %}{% include "teams/x.html" %}'
    )
    assert violations_in_template(text, app="checkins", libraries=libraries) == ["workshops", "dashboards"]
    assert violations_in_template(
        "{% load kr_history from workshops %}", app="teams", libraries=libraries
    ) == ["workshops"]
    assert violations_in_template(text, app="workshops", libraries=libraries) == []
