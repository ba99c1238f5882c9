"""/api/v1/webhooks/: admin scope (organisation admins everywhere, leads for their teams), the pages' rules,
ETags, the secret in the create and rotate answers only."""

from __future__ import annotations

import pytest

from integrations.models import Delivery, Endpoint
from integrations.services import endpoint_create
from tests.conftest import PERSONAS

URL = "http://127.0.0.1:9/hook"


def matrix(**expected):
    assert set(expected) == set(PERSONAS)
    return pytest.mark.parametrize(("who", "status"), list(expected.items()))


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def kurs_hook(org):
    endpoint, _secret = endpoint_create(
        kind="webhook", team=org.team, name="Kurs-hook", url=URL, events=["checkin.created"], owner=org.lead
    )
    return endpoint


@pytest.fixture
def org_hook(org):
    endpoint, _secret = endpoint_create(
        kind="webhook", team=None, name="Org-hook", url=URL, events=["cycle.closed"], owner=org.staff
    )
    return endpoint


@matrix(anonymous=401, member=403, lead=200, elsewhere=200, ambassador=403, org_admin=200, staff=200)
def test_who_lists_webhooks(api, people, kurs_hook, org_hook, who, status):
    response = api(people[who]).get("/api/v1/webhooks/")
    assert response.status_code == status
    if status == 200:
        names = {row["name"] for row in response.json()["results"]}
        expected = {
            "lead": {"Kurs-hook"},
            "elsewhere": set(),
            "org_admin": {"Kurs-hook", "Org-hook"},
            "staff": {"Kurs-hook", "Org-hook"},
        }[who]
        assert names == expected


@matrix(anonymous=401, member=403, lead=200, elsewhere=404, ambassador=403, org_admin=200, staff=200)
def test_who_reads_a_team_webhook(api, people, kurs_hook, who, status):
    response = api(people[who]).get(f"/api/v1/webhooks/{kurs_hook.pk}/")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert response["ETag"] == f'"{kurs_hook.version}"'
        assert "secret" not in body and "url" not in body
        assert body["url_hint"] == "http://127.0.0.1:9/…"


@matrix(anonymous=401, member=403, lead=201, elsewhere=403, ambassador=403, org_admin=201, staff=201)
def test_who_creates_a_team_webhook(api, people, org, who, status):
    data = {"team": "kurs", "name": "Ny", "url": URL, "events": ["checkin.created", "feedback.created"]}
    response = api(people[who]).post("/api/v1/webhooks/", data, format="json")
    assert response.status_code == status
    assert Endpoint.objects.filter(name="Ny").count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert body["secret"].startswith("whsec_")
        assert body["owner"] == people[who].pk
        assert "ETag" in response
        again = api(people[who]).get(f"/api/v1/webhooks/{body['id']}/").json()
        assert body["secret"] not in str(again)


@matrix(anonymous=401, member=403, lead=403, elsewhere=403, ambassador=403, org_admin=201, staff=201)
def test_only_org_admins_create_organisation_webhooks(api, people, who, status):
    data = {"team": None, "name": "Org", "url": URL, "events": ["cycle.closed"]}
    assert api(people[who]).post("/api/v1/webhooks/", data, format="json").status_code == status


@matrix(anonymous=401, member=403, lead=200, elsewhere=404, ambassador=403, org_admin=200, staff=200)
def test_who_changes_and_rotates(api, people, kurs_hook, who, status):
    client = api(people[who])
    response = client.patch(f"/api/v1/webhooks/{kurs_hook.pk}/", {"name": "Endret"}, format="json")
    assert response.status_code == status
    kurs_hook.refresh_from_db()
    assert (kurs_hook.name == "Endret") == (status == 200)
    rotated = client.post(f"/api/v1/webhooks/{kurs_hook.pk}/rotate-secret/")
    assert rotated.status_code == status
    if status == 200:
        assert rotated.json()["secret"].startswith("whsec_")


@matrix(anonymous=401, member=403, lead=202, elsewhere=404, ambassador=403, org_admin=202, staff=202)
def test_who_sends_a_test_event(api, people, kurs_hook, who, status):
    assert api(people[who]).post(f"/api/v1/webhooks/{kurs_hook.pk}/test/").status_code == status
    assert Delivery.objects.filter(endpoint=kurs_hook).count() == (1 if status == 202 else 0)


@matrix(anonymous=401, member=403, lead=204, elsewhere=404, ambassador=403, org_admin=204, staff=204)
def test_who_deletes(api, people, kurs_hook, who, status):
    assert api(people[who]).delete(f"/api/v1/webhooks/{kurs_hook.pk}/").status_code == status
    assert Endpoint.objects.filter(pk=kurs_hook.pk).exists() == (status != 204)


def test_a_lead_cannot_see_the_organisation_webhook(api, people, org_hook):
    assert api(people["lead"]).get(f"/api/v1/webhooks/{org_hook.pk}/").status_code == 404


def test_a_stale_if_match_changes_nothing(api, people, kurs_hook):
    client = api(people["lead"])
    etag = client.get(f"/api/v1/webhooks/{kurs_hook.pk}/")["ETag"]
    assert (
        client.patch(
            f"/api/v1/webhooks/{kurs_hook.pk}/", {"name": "A"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    response = client.patch(
        f"/api/v1/webhooks/{kurs_hook.pk}/", {"name": "B"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    kurs_hook.refresh_from_db()
    assert kurs_hook.name == "A"


def test_disable_and_enable(api, people, kurs_hook):
    client = api(people["lead"])
    assert client.post(f"/api/v1/webhooks/{kurs_hook.pk}/disable/").json()["is_active"] is False
    assert client.post(f"/api/v1/webhooks/{kurs_hook.pk}/test/").status_code == 409
    assert client.post(f"/api/v1/webhooks/{kurs_hook.pk}/enable/").json()["is_active"] is True


def test_the_delivery_log(api, people, kurs_hook):
    client = api(people["lead"])
    client.post(f"/api/v1/webhooks/{kurs_hook.pk}/test/")
    (row,) = client.get(f"/api/v1/webhooks/{kurs_hook.pk}/deliveries/").json()
    assert row["event_type"] == "test" and row["status"] == "pending" and row["attempt_log"] == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "http://10.0.0.1/x"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "http://[::1]/"}, "url"),
        ({"url": ""}, "url"),
        ({"url": "http://127.0.0.1/" + "x" * 3000}, "url"),
        ({"events": ["nope"]}, "events"),
        ({"events": []}, "events"),
        ({"events": "checkin.created"}, "events"),
        ({"events": ["team.weekly_summary"]}, "events"),
        ({"team": "no-such-team"}, "team"),
        ({"name": "x" * 500}, "name"),
        ({"kind": "ftp"}, "kind"),
        ({"kind": "slack", "team": None, "events": ["team.weekly_summary"]}, "team"),
    ],
)
def test_bad_input_is_refused_with_a_translated_message(api, people, org, settings, data, field):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    base = {
        "team": "kurs",
        "name": "Ny",
        "url": "https://hooks.example.org/in",
        "events": ["checkin.created"],
    }
    if field == "url" and data["url"].startswith("http://127.0.0.1/"):
        settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    client = api(people["org_admin"])
    response = client.post("/api/v1/webhooks/", {**base, **data}, format="json", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 400, response.content
    assert field in response.json() or "non_field_errors" in response.json()
    assert not Endpoint.objects.exists()


def test_an_internal_address_is_refused_in_norwegian(api, people, org, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    data = {"team": "kurs", "name": "Ny", "url": "http://192.168.1.10/", "events": ["checkin.created"]}
    response = api(people["lead"]).post("/api/v1/webhooks/", data, format="json", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.json()["url"] == [
        "192.168.1.10 er en intern adresse; bare offentlige verter er tillatt her."
    ]


def test_kind_and_team_cannot_change(api, people, kurs_hook):
    client = api(people["org_admin"])
    response = client.patch(f"/api/v1/webhooks/{kurs_hook.pk}/", {"team": "karriere"}, format="json")
    assert response.status_code == 400
    kurs_hook.refresh_from_db()
    assert kurs_hook.team.slug == "kurs"


def test_html_in_the_name_is_kept_as_text(api, people, org):
    data = {"team": "kurs", "name": "<script>x</script>", "url": URL, "events": ["checkin.created"]}
    body = api(people["lead"]).post("/api/v1/webhooks/", data, format="json").json()
    assert body["name"] == "<script>x</script>"


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_costs_the_same_at_any_size(api, people, org, count, django_assert_num_queries):
    for n in range(count):
        endpoint_create(
            kind="webhook", team=org.team, name=f"H{n}", url=URL, events=["checkin.created"], owner=org.lead
        )
    client = api(people["lead"])
    client.get("/api/v1/webhooks/")  # warm the token and access caches of this client
    # token + user, memberships, profile, tree (access), count, page of endpoints (team and owner joined)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/webhooks/").json()["results"]) == count
