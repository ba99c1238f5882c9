"""Data sources fetch from a real HTTP server on loopback (``tests/servers.py: feed_server``), allowed for the
test by ``DATA_SOURCE_ALLOWED_HOSTS``; ``linked`` links the org's key result to one of its paths."""

from __future__ import annotations

import pytest
from django.test import override_settings

from datasources import services
from tests.servers import feed_server


@pytest.fixture
def feed():
    with (
        feed_server() as instance,
        override_settings(DATA_SOURCE_ALLOWED_HOSTS=["127.0.0.1"], DATA_SOURCE_TIMEOUT=1.0),
    ):
        yield instance


@pytest.fixture
def linked(org, feed):
    """link(path="/members.json", fmt="json", json_path=…, **kw) → the org's key result's data source."""

    def _link(path="/members.json", *, fmt="json", json_path="data.members.active", **kwargs):
        return services.data_source_save(
            key_result=org.key_result,
            actor=org.lead,
            format=fmt,
            url=feed.url(path),
            path=json_path,
            **kwargs,
        )

    return _link
