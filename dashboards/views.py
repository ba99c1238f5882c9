"""The cycle dashboard: one view, one template; htmx swaps the content when the cycle or scope changes."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from checkins.selectors import feedback_for_key_results, feedback_threads
from dashboards import export
from dashboards.forms import DashboardFilterForm
from dashboards.selectors import (
    KeyResultLine,
    TeamRow,
    cycle_default,
    cycle_list,
    dashboard_get,
    export_rows,
    scope_resolve,
    team_search,
)
from objectives.permissions import access_for, can_give_feedback
from okrhub.fragments import render_fragments
from teams.models import Team
from teams.search import team_find
from teams.tree import TeamTree
from workshops.selectors import team_kpis

ROWS_PER_PAGE = 25
ATTENTION_PER_PAGE = 20
KPIS_PER_PAGE = 20


def _filters(request):
    """The cycle and scope asked for (defaults: the active cycle, the whole organisation), the form, and the
    team picker's search when a typed name asked for one: a name only one team has (or matches) is that
    team's scope; several are listed to choose from, and the scope stays."""
    cycles = cycle_list()
    tree = TeamTree.load()
    form = DashboardFilterForm(request.GET, cycles=cycles, tree=tree, default_cycle=cycle_default(cycles))
    cycle = form.selected_cycle()
    slug = form.selected_scope()
    search = None
    if query := form.team_query():
        team, search = team_find(query=query, teams=Team.objects.all())  # the forms' rule (teams.search)
        if team is not None:
            slug, search = team.slug, None
    scope = scope_resolve(slug=slug, tree=tree)
    return form, cycle, scope, search


def team_row_fragment(row: TeamRow) -> dict:
    """What the team table and the adoption table show of a row: the context of their fragments."""
    return {
        "team_id": row.team.pk,
        "slug": row.team.slug,
        "name": row.team.name,
        "depth": row.depth,
        "has_children": row.has_children,
        "objectives": row.objectives,
        "drafts": row.drafts,
        "progress_percent": row.progress_percent,
        "expected_percent": row.expected_percent,
        "pace_health": row.pace_health,
        "pace_health_label": str(row.pace_health_label),
        "key_results": row.key_results,
        "on_track": row.on_track,
        "at_risk": row.at_risk,
        "off_track": row.off_track,
        "rate_this_week": row.rate_this_week,
        "rate_last_week": row.rate_last_week,
        "weekly_rates": row.weekly_rates,
        "mean_weekly_rate": row.mean_weekly_rate,
        "idle_members": row.idle_members,
    }


def attention_fragment(line: KeyResultLine) -> dict:
    """What a needs-attention line shows of its key result: the context of its fragment."""
    key_result = line.key_result
    return {
        "pk": key_result.pk,
        "title": key_result.title,
        "team_slug": key_result.objective.team.slug,
        "team_name": key_result.objective.team.name,
        "objective_id": key_result.objective_id,
        "objective_title": key_result.objective.title,
        "owner_name": line.owner_name,
        "progress_percent": line.progress_percent,
        "expected_percent": line.expected_percent,
        "confidence": key_result.confidence,
        "since": timesince(key_result.last_checkin_at) if key_result.last_checkin_at else None,
        "reasons": line.reason_labels,
    }


def _fragments(dashboard, rows, attention) -> None:
    """The page's team rows and needs-attention lines as fragments (``okrhub.fragments``): rendered where
    their figures changed since they were last shown, else from the cache, in one round trip each."""
    cycle_id, mondays = dashboard.cycle.pk, list(dashboard.weeks)
    contexts = [team_row_fragment(row) for row in rows]
    teams = render_fragments(
        "dashboards/_team_row.html", [{"cycle_id": cycle_id, "row": c} for c in contexts]
    )
    adoption = render_fragments(
        "dashboards/_adoption_row.html", [{"mondays": mondays, "row": c} for c in contexts]
    )
    for row, team_html, adoption_html in zip(rows, teams, adoption, strict=True):
        row.team_html, row.adoption_html = team_html, adoption_html
    lines = list(attention)
    shown = render_fragments(
        "dashboards/_attention_line.html",
        [{"cycle_id": cycle_id, "line": attention_fragment(line)} for line in lines],
    )
    for line, html in zip(lines, shown, strict=True):
        line.html = html


def _attach_feedback(request, lines) -> None:
    """Leads comment on the needs-attention lines in place: each line they may comment on gets its threads
    and the comment form (one query for the page's lines, none when the viewer leads none of them)."""
    access = access_for(request.user)
    mine = [line for line in lines if can_give_feedback(access, line.key_result)]
    by_key_result = defaultdict(list)
    for item in feedback_for_key_results(key_result_ids=[line.key_result.pk for line in mine]):
        by_key_result[item.key_result_id].append(item)
    for line in mine:
        line.can_give_feedback = True
        line.threads = feedback_threads(by_key_result[line.key_result.pk])
        line.feedback_count = len(by_key_result[line.key_result.pk])
        # No form object: an empty one renders as none (checkins/_feedback.html; one comes back with errors
        # on the key result's page, where the comment is posted).


def _kpi_page(request, kpis):
    """The KPIs in scope a page at a time (an organisation of thousands of teams has thousands of them): one
    query when they fit on the first page, as they mostly do, and a count more when not."""
    number = request.GET.get("kpi_page")
    if number in (None, "", "1"):
        first = list(kpis[: KPIS_PER_PAGE + 1])
        if len(first) <= KPIS_PER_PAGE:
            return Paginator(first, KPIS_PER_PAGE).get_page(1)
    return Paginator(kpis, KPIS_PER_PAGE).get_page(number)


@login_required
@require_http_methods(["GET"])
def index(request):
    form, cycle, scope, search = _filters(request)
    kpis = _kpi_page(request, team_kpis(team_ids=scope.team_ids if scope.team else None))
    query = {"cycle": cycle.pk if cycle else "", "scope": scope.slug}
    context = {
        "form": form,
        "search": search,
        "cycle": cycle,
        "scope": scope,
        "kpis": kpis,
        "kpis_show_team": len(scope.nodes) > 1,
        "kpi_query": urlencode(query),
    }
    if cycle is not None:
        dashboard = dashboard_get(user=request.user, cycle=cycle, scope=scope)
        show_all = request.GET.get("all") == "1"
        per_page = max(len(dashboard.rows), 1) if show_all else ROWS_PER_PAGE
        rows = Paginator(dashboard.rows, per_page).get_page(request.GET.get("page"))
        attention = Paginator(dashboard.attention, ATTENTION_PER_PAGE).get_page(
            request.GET.get("attention_page")
        )
        _fragments(dashboard, rows, attention)
        _attach_feedback(request, list(attention.object_list))
        kpi_page = {"kpi_page": kpis.number} if kpis.number > 1 else {}
        context.update(
            dashboard=dashboard,
            rows=rows,
            attention=attention,
            show_all=show_all,
            query=urlencode(query),
            page_query=urlencode({**query, "attention_page": attention.number, **kpi_page}),
            attention_query=urlencode({**query, "page": rows.number, **kpi_page}),
            kpi_query=urlencode({**query, "page": rows.number, "attention_page": attention.number}),
            first_week=date_format(dashboard.weeks[0], "SHORT_DATE_FORMAT") if dashboard.weeks else "",
        )
    template = "dashboards/index.html"
    # A history restore after the cache was evicted needs the whole page, not the fragment.
    if request.htmx and not request.htmx.history_restore_request:
        template += "#content"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET"])
def team_search_results(request):
    """The team picker's matches for what was typed (htmx): links to the dashboard of each team, in the cycle
    shown. Every signed-in person sees the dashboard of every team, so they may find every team."""
    cycle = request.GET.get("cycle", "")
    context = {
        "search": team_search(query=request.GET.get("q")),
        "cycle_id": int(cycle) if cycle.isdigit() and len(cycle) <= 18 else None,
        "oob": True,
    }
    return render(request, "dashboards/_team_picker.html#results", context)


@login_required
@require_http_methods(["GET"])
def export_csv(request):
    return _export(request, extension="csv")


@login_required
@require_http_methods(["GET"])
def export_xlsx(request):
    return _export(request, extension="xlsx")


def _export(request, *, extension: str) -> HttpResponse:
    _form, cycle, scope, _search = _filters(request)
    if cycle is None:
        return HttpResponse(_("There is no cycle to export yet."), status=404, content_type="text/plain")
    rows = export_rows(user=request.user, cycle=cycle, scope=scope)
    name = export.filename(cycle=cycle, scope_slug=scope.slug, extension=extension)
    if extension == "csv":
        # Streamed: the first bytes leave before the last row is written.
        response = StreamingHttpResponse(export.csv_chunks(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # An XLSX is a zip, written whole before it is sent: from a spooled temporary file, in blocks.
    return FileResponse(
        export.xlsx_file(rows, title=cycle.name),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
