"""The data source demo, built by the real seed_demo: a source with a recorded fetch, one failing; offline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checkins.models import CheckIn
from datasources.demo import FAILING_TITLE, LINKED_TITLE
from datasources.models import DataSource
from okrhub.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_linked_and_a_failing_source_and_runs_twice(client):
    seed_demo()
    checkins = CheckIn.objects.count()
    linked = DataSource.objects.get(key_result__title=LINKED_TITLE)
    assert linked.last_fetched_at is not None and linked.last_error == ""
    assert linked.last_value == linked.key_result.current_value
    failing = DataSource.objects.get(key_result__title=FAILING_TITLE)
    assert "503" in failing.last_error
    # Reserved names that never resolve: the demo never reaches out of the machine.
    assert all(source.label.endswith(".example") for source in DataSource.objects.all())

    seed_demo()
    assert DataSource.objects.count() == 2 and CheckIn.objects.count() == checkins

    client.force_login(linked.key_result.owner)
    html = client.get(reverse("checkins:key_result_detail", args=[linked.key_result_id])).content.decode()
    assert "data.kompetanseforbund.example" in html and 'id="kr-data-source-fetch"' in html
