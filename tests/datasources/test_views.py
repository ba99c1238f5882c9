"""The data source panel on the key result page, its configuration page and "Fetch now": who may do what,
bad input, and the header secret never shown again."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from checkins.models import CheckIn
from datasources.models import DataSource
from objectives.models import Cycle, KeyResult
from tests.factories import CheckInFactory, KeyResultFactory

MEMBERS = json.dumps({"data": {"members": {"active": 25}}})
# The key result's owner is ``member``; ``lead`` leads its team, ``section_leader`` the section above.
MAY = {
    "member": True,
    "lead": True,
    "section_leader": True,
    "teammate": False,
    "outsider": False,
    "ambassador": False,
}


def form_data(feed, **overrides):
    return {
        "format": "json",
        "url": feed.url("/members.json"),
        "path": "data.members.active",
        "header_name": "",
        "header_value": "",
        "enabled": "on",
        **overrides,
    }


@pytest.mark.parametrize(("persona", "may"), sorted(MAY.items()))
def test_who_configures_a_data_source(org, login, feed, persona, may):
    client = login(getattr(org, persona))
    url = reverse("datasources:edit", args=[org.key_result.pk])
    assert client.get(url).status_code == (200 if may else 403)
    response = client.post(url, form_data(feed))
    assert response.status_code == (302 if may else 403)
    assert DataSource.objects.exists() is may


@pytest.mark.parametrize(("persona", "may"), sorted(MAY.items()))
def test_who_fetches_now_and_unlinks(org, login, feed, linked, persona, may):
    feed.route("/members.json", MEMBERS)
    linked()
    client = login(getattr(org, persona))
    response = client.post(reverse("datasources:fetch", args=[org.key_result.pk]))
    assert response.status_code == (302 if may else 403)
    assert CheckIn.objects.exists() is may
    response = client.post(reverse("datasources:delete", args=[org.key_result.pk]))
    assert response.status_code == (302 if may else 403)
    assert DataSource.objects.exists() is not may


def test_a_hidden_draft_is_not_found(org, login, feed):
    org.other_objective.status = "draft"
    org.other_objective.save()
    client = login(org.lead)
    for name in ("edit", "fetch", "delete"):
        response = client.post(
            reverse(f"datasources:{name}", args=[org.other_key_result.pk]), form_data(feed)
        )
        assert response.status_code == 404


def test_the_anonymous_are_sent_to_sign_in(org, client):
    response = client.get(reverse("datasources:edit", args=[org.key_result.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://10.0.0.1/members.json"}, "url"),  # private, and not listed
        ({"url": "https://" + "a" * 2000 + ".example/"}, "url"),
        ({"format": "xml"}, "format"),
        ({"path": ""}, "path"),
        ({"path": "x" * 201}, "path"),
        ({"header_name": "Host", "header_value": "evil"}, "header_name"),
        ({"header_value": "Bearer abc"}, "header_name"),  # a secret without a header to send it in
    ],
)
def test_bad_input_is_refused_with_a_translated_error_and_changes_nothing(org, login, feed, overrides, field):
    response = login(org.lead).post(
        reverse("datasources:edit", args=[org.key_result.pk]), form_data(feed, **overrides)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not DataSource.objects.exists()


def test_html_in_the_path_is_shown_as_text(org, login, feed, linked):
    linked(json_path="<b>data</b>")
    html = (
        login(org.member)
        .get(reverse("checkins:key_result_detail", args=[org.key_result.pk]))
        .content.decode()
    )
    assert "&lt;b&gt;data&lt;/b&gt;" in html and "<b>data</b>" not in html


def test_the_header_secret_never_appears_after_saving(org, login, feed, caplog):
    client = login(org.lead)
    url = reverse("datasources:edit", args=[org.key_result.pk])
    with caplog.at_level(logging.DEBUG):
        client.post(url, form_data(feed, header_name="Authorization", header_value="Bearer s3cret-token"))
        pages = [
            client.get(url),
            client.get(reverse("checkins:key_result_detail", args=[org.key_result.pk])),
            client.post(url, form_data(feed, header_name="Authorization", path="")),  # an error re-renders
        ]
    source = DataSource.objects.get()
    assert source.has_header_secret
    for page in pages:
        assert "s3cret-token" not in page.content.decode()
    assert "s3cret-token" not in caplog.text
    assert "A secret is stored" in pages[0].content.decode() or "hemmelighet" in pages[0].content.decode()
    # Saving again without typing it keeps it; ticking "remove" removes it.
    client.post(url, form_data(feed, header_name="Authorization"))
    source.refresh_from_db()
    assert source.has_header_secret
    client.post(url, form_data(feed, header_name="Authorization", remove_header_value="on"))
    source.refresh_from_db()
    assert not source.has_header_secret


def test_the_panel_shows_the_source_and_its_error(org, login, feed, linked, settings):
    settings.LANGUAGE_CODE = "en"
    feed.route("/members.json", "oops", status=503)
    linked()
    client = login(org.member)
    client.post(reverse("datasources:fetch", args=[org.key_result.pk]))
    html = client.get(reverse("checkins:key_result_detail", args=[org.key_result.pk])).content.decode()
    assert 'id="kr-data-source"' in html and "127.0.0.1" in html
    assert 'id="kr-data-source-error"' in html
    # The URL's path and query may carry a token: only the host is shown on the page.
    assert "/members.json" not in html


def test_someone_who_may_not_configure_sees_only_a_linked_source(org, login, feed, linked):
    page = reverse("checkins:key_result_detail", args=[org.key_result.pk])
    client = login(org.teammate)
    assert 'id="kr-data-source"' not in client.get(page).content.decode()
    linked()
    html = client.get(page).content.decode()
    assert 'id="kr-data-source"' in html
    assert reverse("datasources:fetch", args=[org.key_result.pk]) not in html
    assert 'id="kr-data-source-link"' not in login(org.member).get(page).content.decode()


def test_fetch_now_over_htmx_reloads_the_page_when_the_value_changed(org, login, feed, linked):
    feed.route("/members.json", MEMBERS)
    linked()
    client = login(org.member)
    url = reverse("datasources:fetch", args=[org.key_result.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert KeyResult.objects.get(pk=org.key_result.pk).current_value == Decimal(25)
    # Unchanged: the panel comes back in place, saying so.
    response = client.post(url, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in response
    assert 'id="kr-data-source-result"' in response.content.decode()
    assert CheckIn.objects.count() == 1


def test_a_closed_cycle_offers_no_configuration(org, login, feed, linked):
    linked()
    Cycle.objects.filter(pk=org.cycle.pk).update(status=Cycle.Status.CLOSED)
    client = login(org.lead)
    html = client.get(reverse("checkins:key_result_detail", args=[org.key_result.pk])).content.decode()
    assert 'id="kr-data-source"' in html
    assert reverse("datasources:fetch", args=[org.key_result.pk]) not in html
    response = client.post(reverse("datasources:edit", args=[org.key_result.pk]), form_data(feed))
    assert response.status_code == 400  # the writability rule's message, nothing saved
    assert DataSource.objects.get().path == "data.members.active"


@pytest.mark.parametrize("sources", [1, 6])
def test_the_key_result_page_adds_one_query_whatever_the_sources(
    org, login, feed, django_assert_num_queries, sources
):
    for _ in range(sources - 1):
        other = KeyResultFactory(objective=org.objective, owner=org.member)
        DataSource.objects.create(key_result=other, url=feed.url("/x"), path="a")
    DataSource.objects.create(key_result=org.key_result, url=feed.url("/x"), path="a")
    CheckInFactory(key_result=org.key_result, author=org.member)
    client = login(org.member)
    # As tests/checkins/test_key_result_page.py counts it (13, the data source included).
    with django_assert_num_queries(13):
        client.get(reverse("checkins:key_result_detail", args=[org.key_result.pk]))
