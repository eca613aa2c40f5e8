"""Fuzzing every operation of the server's OpenAPI schema: whatever arrives, no 5xx.

Schemathesis generates requests (valid and not) from the app's own schema and sends them
in-process over ASGI, once with an agent's token and once with an admin's, so both the role
refusals and the handlers behind them are reached. Longer runs: AGENTDESK_LONG_TESTS=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.schemas import OpenApiSchema

from agentdesk.domain.model import Role
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app

LONG = os.environ.get("AGENTDESK_LONG_TESTS") == "1"
EXAMPLES = 400 if LONG else 25


@pytest.fixture
def seeded_app(database_url: str) -> Iterator[tuple[FastAPI, dict[Role, str]]]:
    # The rate limit is part of the API, but a fuzzer sends far more than an agent would.
    app = create_app(database_url, limits=Limits(requests_per_second=100_000, burst=100_000))
    tokens: dict[Role, str] = {}
    with app.state.engine.begin() as connection:
        for role in (Role.AGENT, Role.ADMIN):
            _account, tokens[role] = add_agent(connection, f"fuzz-{role.value}", role=role)
    yield app, tokens
    app.state.engine.dispose()


@pytest.fixture
def api_schema(seeded_app: tuple[FastAPI, dict[Role, str]]) -> OpenApiSchema:
    app, _tokens = seeded_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def tokens(seeded_app: tuple[FastAPI, dict[Role, str]]) -> dict[Role, str]:
    return seeded_app[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not LONG,
)
def test_no_request_gets_a_server_error(case: schemathesis.Case, tokens: dict[Role, str]) -> None:
    for role in (Role.AGENT, Role.ADMIN):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {tokens[role]}"}, checks=[not_a_server_error]
        )
