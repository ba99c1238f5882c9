"""Every variable the settings read is documented in .env.example, so a newcomer and an operator see it."""

from __future__ import annotations

import re

from django.conf import settings


def test_every_environment_variable_is_in_the_example_file():
    source = (settings.BASE_DIR / "okrhub" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    example = (settings.BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert read, "the settings read no variables? the pattern above is out of date"
    assert sorted(read - documented) == []
