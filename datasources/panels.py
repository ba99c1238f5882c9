"""The data source section of the key result page (connected to ``checkins.signals``)."""

from __future__ import annotations

from django.dispatch import receiver
from django.template.loader import render_to_string

from checkins.signals import key_result_page_sections
from datasources import selectors


@receiver(key_result_page_sections, dispatch_uid="datasources.panel")
def data_source_section(sender, *, request, key_result, **kwargs) -> str | None:
    context = selectors.data_source_panel(user=request.user, key_result=key_result)
    if context is None:
        return None
    return render_to_string("datasources/_panel.html#data-source-panel", context, request=request)
