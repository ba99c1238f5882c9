"""okrhub.fragments: rendered from plain values, cached under everything the output depends on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from okrhub import fragments
from okrhub.fragments import fragment_key, render_fragments

SOURCES = {
    "outer.html": '{% load i18n %}<p>{% translate "Dashboard" %}: {{ name }} '
    '{{ when|date:"SHORT_DATE_FORMAT" }}{% include "inner.html" %}</p>',
    "inner.html": "<b>{{ count }}</b>",
}


def engine(settings, sources: dict[str, str]) -> None:
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", sources)],
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                ],
            },
        }
    ]
    fragments._template.cache_clear()


@pytest.fixture
def templates(settings):
    engine(settings, dict(SOURCES))
    cache.clear()
    yield
    fragments._template.cache_clear()


def test_a_fragment_is_what_rendering_gives_and_comes_from_the_cache_the_next_time(templates):
    context = {"name": "Kurs", "when": dt.date(2026, 12, 1), "count": 3}
    with translation.override("en"):
        [html] = render_fragments("outer.html", [context])
        assert html == "<p>Dashboard: Kurs 12/01/2026<b>3</b></p>"
        key = fragment_key("outer.html", context)
        assert cache.get(key) == html
        cache.set(key, "from the cache")
        assert render_fragments("outer.html", [context]) == ["from the cache"]
        # Other figures are another fragment; the same context twice on one page is rendered once.
        changed = {**context, "count": 4}
        assert render_fragments("outer.html", [changed, context, changed]) == [
            "<p>Dashboard: Kurs 12/01/2026<b>4</b></p>",
            "from the cache",
            "<p>Dashboard: Kurs 12/01/2026<b>4</b></p>",
        ]


def test_the_language_and_the_time_zone_are_part_of_the_key(templates, settings):
    context = {"name": "Kurs", "when": dt.date(2026, 12, 1), "count": 3}
    with translation.override("en"):
        english = fragment_key("outer.html", context)
        [in_english] = render_fragments("outer.html", [context])
    with translation.override("nb"):
        assert fragment_key("outer.html", context) != english
        [in_norwegian] = render_fragments("outer.html", [context])
    assert in_english != in_norwegian
    assert "01.12.2026" in in_norwegian
    with translation.override("en"), timezone.override("America/New_York"):
        assert fragment_key("outer.html", context) != english


def test_the_included_templates_sources_are_part_of_the_key(templates, settings):
    context = {"name": "Kurs", "when": dt.date(2026, 12, 1), "count": 3}
    before = fragment_key("outer.html", context)
    engine(settings, {**SOURCES, "inner.html": "<i>{{ count }}</i>"})  # a deploy changed the included one
    assert fragment_key("outer.html", context) != before
    with translation.override("en"):
        assert render_fragments("outer.html", [context]) == ["<p>Dashboard: Kurs 12/01/2026<i>3</i></p>"]


@pytest.mark.parametrize(
    "value", [object(), {1: "a key that is not text"}, [dt.UTC], {"nested": [{"deeper": object()}]}]
)
def test_only_plain_values_make_a_context(templates, value):
    with pytest.raises(TypeError, match="context"):
        render_fragments("outer.html", [{"name": value, "when": None, "count": 1}])


def test_html_in_a_value_is_escaped(templates):
    with translation.override("en"):
        [html] = render_fragments("outer.html", [{"name": "<script>x</script>", "when": None, "count": 1}])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
