"""schemathesis against the REST routes over stored runs: generated requests (valid and
not) to every operation of ``/openapi.json`` never get a 500, and every answer (status,
content type, headers, body) matches the document.

The generated tests are parametrized from the document the app serves (checked equal to
``/openapi.json`` below) rather than by schemathesis' ``from_fixture``, whose lazy loading
sets a node attribute that pytest 9 no longer has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tracegraph.api.auth import Authenticator
from tracegraph.api.keys import KeyStore
from tracegraph.api.rest.openapi import openapi_document
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore

from tests.helpers.live import LiveServer

from .conftest import Runs, store_runs

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]


schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def rest_schema(runs: Runs) -> Any:
    served = schemathesis.openapi.from_url(f"{runs.server.url}/openapi.json")
    assert served.raw_schema == schema.raw_schema
    return served


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_generated_requests_match_the_document(case: schemathesis.Case,
                                               rest_schema: Any, runs: Runs) -> None:
    case.call_and_validate(base_url=runs.server.url, checks=CHECKS)


@pytest.mark.parametrize("path", ["/agents/{id}/trace", "/agents/{id}/status"])
@pytest.mark.parametrize("which", ["done", "failed", "child", "running"])
def test_stored_runs_match_the_document(runs: Runs, rest_schema: Any, path: str,
                                        which: str) -> None:
    op = rest_schema[path]["GET"]
    for query in ({}, {"include_trace": "true"}):
        case = op.Case(path_parameters={"id": getattr(runs, which)}, query=query,
                       headers={"X-Org-Id": "acme"})
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 200


@pytest.mark.parametrize("query", [{}, {"status": "running", "limit": "1"},
                                   {"status": "completed"}, {"offset": "2", "limit": "5"}])
def test_stored_listing_matches_the_document(rest_schema: Any, query: dict[str, str]) -> None:
    case = rest_schema["/agents"]["GET"].Case(query=query, headers={"X-Org-Id": "acme"})
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 200 and response.json()["agents"]


def test_key_refusals_match_the_document(tmp_path: Path) -> None:
    """With API keys: no key (401), another tenant's X-Org-Id (403) and the key's own tenant
    (200) answer as the document says."""
    store = EmbeddedStore(tmp_path)
    keys = KeyStore(tmp_path)
    key = keys.create("acme")
    service = TraceService(store)
    stored = store_runs(service, "acme")
    live = LiveServer(service, auth=Authenticator(keys))
    try:
        for path, params in (("/agents", {}), ("/agents/{id}/status", {"id": stored.done}),
                             ("/agents/{id}/trace", {"id": stored.done})):
            op = schema[path]["GET"]
            for headers, status in (({}, 401), ({"Authorization": f"Bearer {key}",
                                                 "X-Org-Id": "globex"}, 403),
                                    ({"Authorization": f"Bearer {key}"}, 200)):
                case = op.Case(path_parameters=params, headers=headers)
                response = case.call_and_validate(base_url=live.url, checks=CHECKS)
                assert response.status_code == status, response.text
    finally:
        live.stop()
        store.close()
        keys.close()
