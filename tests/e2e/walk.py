"""Find every HTML page of the site, as one signed-in user, in a real browser.

The URL resolver says which pages exist; the demo data says which objects they show. The walk starts at
every page that takes no arguments (``tests.okrhub.test_pages``), follows every same-site link it finds, and
keeps one address per URL name. A URL name that no link reached is then tried with the argument values the
walk has seen for arguments of the same name (a key result's ``pk``, a team's ``slug``…). So a page another
feature adds later is walked as soon as it is linked from a page, or its arguments look like others'.

What is not a page is told apart by the answer, not by a list: a POST-only action answers 405, an export is
not ``text/html``, an htmx fragment has no ``<html>``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.okrhub.test_pages import (
    PUBLIC_NAMES,
    PUBLIC_NAMESPACES,
    PUBLIC_PATHS,
    PUBLIC_PREFIXES,
    SAMPLE_ARGUMENTS,
    pages_without_arguments,
)

# Pages under a prefix the login test skips, but which are ours and HTML: walked too.
EXTRA_PATHS = ("/accessibility/", "/api/v1/docs/")
# Never followed: leaving the session, and another application's pages.
SKIP_PREFIXES = ("/admin/", "/static/", "/accounts/logout/", "/i18n/")
MAX_TRIES_PER_NAME = 20


@dataclass
class Walk:
    pages: dict[str, str] = field(default_factory=dict)  # url name (+ query keys) → path visited
    not_pages: dict[str, str] = field(default_factory=dict)  # url name → why it is not a page
    unreached: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # addresses that answered 5xx
    seen_arguments: dict[str, set] = field(default_factory=dict)

    @property
    def names(self) -> set[str]:
        return {key.split("?", 1)[0] for key in self.pages}


def url_names() -> dict[str, dict[str, str]]:
    """Every named page the walk should reach (not the API, admin, login or health check) → its arguments
    and their converters (``{"pk": "int"}``)."""
    names: dict[str, dict[str, str]] = {}

    def collect(resolver: URLResolver, namespace: str = "") -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in PUBLIC_NAMESPACES:
                    continue
                collect(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                converters = getattr(pattern.pattern, "converters", {})
                names[f"{namespace}{pattern.name}"] = {
                    arg: type(conv).__name__.removesuffix("Converter").lower()
                    for arg, conv in converters.items()
                }

    collect(get_resolver())
    walked = {}
    for name, kinds in names.items():
        try:
            path = reverse(name, kwargs={arg: SAMPLE_ARGUMENTS.get(kind, "1") for arg, kind in kinds.items()})
        except NoReverseMatch:
            continue
        if path.startswith(EXTRA_PATHS) or not (
            _skipped(path) or name in PUBLIC_NAMES or name.startswith(PUBLIC_PREFIXES)
        ):
            walked[name] = kinds
    return walked


def _name_of(path: str) -> tuple[str, dict] | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name, match.kwargs


def _skipped(path: str) -> bool:
    plain = urlsplit(path).path
    if plain.startswith(EXTRA_PATHS):
        return False
    return plain.startswith(SKIP_PREFIXES) or plain.startswith(PUBLIC_PATHS)


def _probe(page, url: str) -> str | None:
    """None when ``url`` is an HTML page for this user, else why not."""
    response = page.request.get(url, max_redirects=0)
    if response.status == 405:
        return "POST only"
    if response.status != 200:
        return f"HTTP {response.status}"
    if not response.headers.get("content-type", "").startswith("text/html"):
        return response.headers.get("content-type", "")
    if "<html" not in response.text()[:500].lower():
        return "a fragment"
    return None


def walk(page, base_url: str, *, visit, extra_paths=()) -> Walk:
    """Visit every page reachable for the signed-in user of ``page``; ``visit(key, path)`` checks each.

    One address per URL name and set of query parameters (``/dashboards/?cycle=…`` is another view of the
    dashboard than ``/dashboards/``); each of ``extra_paths`` is visited as given.
    """
    result = Walk()
    queue = [*extra_paths, *(path for _, path in pages_without_arguments()), *EXTRA_PATHS]
    seen_paths: set[str] = set()

    def consider(path: str) -> None:
        named = _name_of(path)
        if named is None or path in seen_paths or _skipped(path):
            return
        seen_paths.add(path)
        name, kwargs = named
        for argument, value in kwargs.items():
            result.seen_arguments.setdefault(argument, set()).add(value)
        query_keys = ",".join(sorted(parse_qs(urlsplit(path).query)))
        key = path if path in extra_paths else name + (f"?{query_keys}" if query_keys else "")
        if key in result.pages or result.not_pages.get(name) == "POST only":
            return
        why = _probe(page, base_url + path)
        if why is not None and why.startswith("HTTP 5"):
            result.server_errors.append(f"{path}: {why}")
        if why is not None:
            if name not in result.names and result.not_pages.get(name) != "POST only":
                result.not_pages[name] = why if why == "POST only" else result.not_pages.get(name, why)
            return
        result.not_pages.pop(name, None)
        result.pages[key] = path
        visit(key, path)
        for href in page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)"):
            target = urlsplit(urljoin(page.url, href))
            if f"{target.scheme}://{target.netloc}" == base_url:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))

    while queue:
        consider(queue.pop(0))
        if not queue:
            queue.extend(_guesses(result))
    result.unreached = sorted(
        name for name in url_names() if name not in result.names and name not in result.not_pages
    )
    return result


def _guesses(result: Walk) -> list[str]:
    """Addresses for URL names no link reached, from argument values seen elsewhere (once per name)."""
    paths = []
    for name, arguments in url_names().items():
        if name in result.names or name in result.not_pages or not arguments:
            continue
        # Values seen for arguments of the same name; else the sample value for its converter (enough to
        # tell a POST-only action, which answers 405 before it looks anything up).
        pools = [
            sorted(result.seen_arguments.get(arg, ()), key=str) or [SAMPLE_ARGUMENTS.get(kind, "1")]
            for arg, kind in arguments.items()
        ]
        for combination in itertools.islice(itertools.product(*pools), MAX_TRIES_PER_NAME):
            paths.append(reverse(name, kwargs=dict(zip(arguments, combination, strict=True))))
        result.not_pages.setdefault(name, "no argument values gave a page")
    return paths
