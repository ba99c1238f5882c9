"""Fragments of a page cached by what they show.

A fragment template is rendered from a context of plain values only (text, numbers, dates, None, and tuples,
lists or dicts of those; never a model object or a lazy query), with no request: no context processor, no
CSRF token, nothing of the viewer that is not in the context. Its output is then a function of the context,
the template's source (with the templates it includes), the language, the time zone and the URL prefix, and
all of these make its cache key: a hit is exactly what rendering would give, so nothing is ever invalidated,
and a fragment whose figures changed simply has another key. What belongs to the viewer (forms with their
CSRF token, read marks) stays outside fragments, rendered with the page.

``render_fragments`` renders a page's fragments of one template with one cache round trip (``get_many``),
rendering and storing only the missing ones; a cache that does not answer costs the rendering, not the page.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.template import loader
from django.template.loader_tags import IncludeNode
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from okrhub.lib import cache_read, cache_write

FRAGMENT_CACHE_SECONDS = 24 * 3600  # a bound on memory only: changed content is another key
PLAIN = (str, int, float, bool, Decimal, date, datetime, type(None))
_EXACTLY_PLAIN = frozenset(PLAIN)  # the common case, one set lookup


def _plain(value, path: str = "context") -> None:
    """Raise TypeError unless ``value`` is made of plain values, whose ``repr`` is the whole of them."""
    if type(value) in _EXACTLY_PLAIN or isinstance(value, PLAIN):
        return
    if isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            if type(item) not in _EXACTLY_PLAIN:
                _plain(item, f"{path}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys of a fragment's context are text, not {type(key).__name__}")
            if type(item) not in _EXACTLY_PLAIN:
                _plain(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: a fragment's context holds plain values only, not {type(value).__name__}")


def _sources(template, seen: set[str]) -> list[str]:
    """The template's source and those of the templates it includes by a literal name, recursively."""
    inner = template.template  # the backend's wrapper → django.template.base.Template
    sources = [inner.source]
    for node in inner.nodelist.get_nodes_by_type(IncludeNode):
        name = node.template.var
        if isinstance(name, str) and name not in seen:
            seen.add(name)
            sources.extend(_sources(loader.get_template(name), seen))
    return sources


@functools.cache
def _template(name: str):
    """The template and a digest of its sources, read once per process (templates change with a deploy)."""
    template = loader.get_template(name)
    digest = hashlib.blake2b("\0".join(_sources(template, {name})).encode(), digest_size=16).hexdigest()
    return template, digest


def _surroundings() -> tuple[str, str, str]:
    """What a template's output depends on besides its context: the language (translations, formats), the
    time zone (dates and times shown) and the URL prefix (``{% url %}``)."""
    return translation.get_language(), timezone.get_current_timezone_name(), get_script_prefix()


def fragment_key(name: str, context: Mapping, *, surroundings: tuple[str, str, str] | None = None) -> str:
    _plain(context)
    _template_obj, source = _template(name)
    where = (surroundings or _surroundings(), sorted(context.items()))
    digest = hashlib.blake2b(repr(where).encode(), digest_size=20).hexdigest()
    return f"fragment:{source}:{digest}"


def render_fragments(name: str, contexts: Sequence[Mapping]) -> list[SafeString]:
    """The template rendered with each context, in order: from the cache where the same fragment was
    rendered before (one round trip for all of them), rendered and stored where not."""
    if not contexts:
        return []
    template, _source = _template(name)
    surroundings = _surroundings()
    keys = [fragment_key(name, context, surroundings=surroundings) for context in contexts]
    found = cache_read(keys)
    missing: dict[str, str] = {}
    out = []
    for key, context in zip(keys, contexts, strict=True):
        html = found.get(key)
        if html is None:
            html = missing.get(key)
        if html is None:
            html = missing[key] = str(template.render(dict(context)))
        out.append(mark_safe(html))  # noqa: S308 - rendered by the template engine, which escapes
    if missing:
        cache_write(missing, FRAGMENT_CACHE_SECONDS)
    return out
