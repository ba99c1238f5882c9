"""A key result's data source: configure it (owner and leads), fetch it now (htmx or a plain POST)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from datasources import selectors, services
from datasources.forms import DataSourceForm
from objectives.writability import require_writable
from okrhub.lib import apply_errors


def _key_result_url(key_result) -> str:
    return reverse("checkins:key_result_detail", args=[key_result.pk])


@sensitive_post_parameters("header_value")  # kept out of error reports
@login_required
@require_http_methods(["GET", "POST"])
def data_source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = selectors.key_result_for_data_source(user=request.user, pk=pk)
    source = selectors.data_source_of(key_result)
    form = DataSourceForm(request.POST or None, instance=source)
    if request.method == "POST" and form.is_valid():
        try:
            services.data_source_save(
                key_result=key_result,
                actor=request.user,
                format=form.cleaned_data["format"],
                url=form.cleaned_data["url"],
                path=form.cleaned_data["path"],
                header_name=form.cleaned_data["header_name"],
                header_value=form.header_value_to_save(),
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The data source is saved. Fetch it now to check it."))
            return redirect(_key_result_url(key_result))
    context = {"key_result": key_result, "source": source, "form": form}
    return render(request, "datasources/edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["POST"])
def data_source_delete(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = selectors.key_result_for_data_source(user=request.user, pk=pk)
    source = selectors.data_source_of(key_result)
    if source is not None:
        require_writable(key_result)
        services.data_source_delete(source=source)
        messages.success(request, _("The key result no longer updates itself."))
    return redirect(_key_result_url(key_result))


@login_required
@require_http_methods(["POST"])
def data_source_fetch(request: HttpRequest, pk: int) -> HttpResponse:
    """Fetch now. Over htmx a changed value reloads the page (progress bar, chart and history all move);
    otherwise the panel comes back with the outcome. Without JavaScript: back to the page."""
    key_result = selectors.key_result_for_data_source(user=request.user, pk=pk)
    source = selectors.data_source_of(key_result)
    if source is None:
        return redirect(reverse("datasources:edit", args=[key_result.pk]))
    result = services.data_source_fetch(source=source)
    if request.htmx and not result.changed:
        # The panel says how it went, in place (the page's messages would repeat it on the next page).
        context = selectors.data_source_panel(user=request.user, key_result=key_result)
        context["result"] = result
        return render(request, "datasources/_panel.html#data-source-panel", context)
    if result.changed:
        messages.success(request, _("Fetched: the value is now updated."))
    elif result.error:
        messages.error(request, _("The fetch failed: %(error)s") % {"error": result.error})
    else:
        messages.info(request, _("Fetched: the value has not changed."))
    return HttpResponseClientRefresh() if request.htmx else redirect(_key_result_url(key_result))
